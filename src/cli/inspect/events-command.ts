import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import type { StoredEvent } from '../../events/event-types.js';
import {
  EVENT_COLUMNS,
  eventJson,
  eventRow,
  queryEvents,
  type EventFilter,
} from '../../inspect/event-query.js';
import { cellText, renderTable } from '../../inspect/format-table.js';
import { openLog } from '../../inspect/open-log.js';
import { parseTime } from '../../inspect/time-spec.js';
import { json, parseCount, runCommand, withDataDir, type InspectIo } from './inspect-io.js';

interface EventsOptions {
  dataDir: string;
  type?: string[];
  peer?: string;
  key?: string;
  lookup?: string;
  since?: string;
  limit: string;
  follow?: boolean;
  json?: boolean;
  pollMs: string;
}

const FOLLOW_PAGE_ROWS = 1_000;

/** One event as a line of --follow output (columns as wide as the typical values). */
function eventLine(event: StoredEvent, width: number): string {
  const [seq, at, type, peer, key, lookup, data] = eventRow(event).map(cellText);
  const line =
    `${seq!.padStart(7)}  ${at}  ${type!.padEnd(17)}  ${peer!.padEnd(8)}  ` +
    `${key!.padEnd(8)}  ${lookup!.padStart(6)}  ${data}`;
  return line.length > width ? line.slice(0, width - 1) + '…' : line;
}

export function registerEvents(program: Command, io: InspectIo): void {
  withDataDir(
    program
      .command('events')
      .description('recorded events, oldest first; --follow streams new ones'),
  )
    .option('--type <type...>', 'only these event types (repeat or list several)')
    .option('--peer <id>', 'only events about this peer (hex ID or prefix)')
    .option('--key <key>', 'only events about this pointer key or lookup target (hex or prefix)')
    .option('--lookup <id>', "only the events of this lookup (its lookup_started's seq)")
    .option('--since <time>', 'only events since an ISO time or a duration ago (10m, 2h, 1d)')
    .option('--limit <n>', 'show the last n matching events (0: all)', '100')
    .option('--follow', 'keep printing new events as they are appended (Ctrl-C ends)')
    .option('--json', 'events as JSON (with --follow: one JSON object per line)')
    .option('--poll-ms <ms>', 'how often --follow looks for new events', '500')
    .action((options: EventsOptions) =>
      runCommand(io, async () => {
        const filter: EventFilter = {
          ...(options.type !== undefined
            ? { types: options.type.flatMap((t) => t.split(',')) }
            : {}),
          ...(options.peer !== undefined ? { peerPrefix: options.peer } : {}),
          ...(options.key !== undefined ? { keyPrefix: options.key } : {}),
          ...(options.lookup !== undefined
            ? { lookup: parseCount('--lookup', options.lookup) }
            : {}),
          ...(options.since !== undefined ? { sinceMs: parseTime(options.since, io.now()) } : {}),
        };
        const limit = parseCount('--limit', options.limit);
        const pollMs = Math.max(50, parseCount('--poll-ms', options.pollMs));
        const log = openLog(options.dataDir);
        try {
          const tailBefore = log.store.lastSeq;
          const first = queryEvents(log.db, filter, limit === 0 ? {} : { limit });
          if (options.follow !== true) {
            if (options.json === true) io.out(json(first.map(eventJson)));
            else io.out(renderTable(EVENT_COLUMNS, first.map(eventRow), io.width()));
            return;
          }
          const print = (events: StoredEvent[]): void => {
            for (const event of events)
              io.out(
                options.json === true
                  ? JSON.stringify(eventJson(event)) + '\n'
                  : eventLine(event, io.width()) + '\n',
              );
          };
          print(first);
          let lastSeq = first.at(-1)?.seq ?? tailBefore;
          const stop = new AbortController();
          void io.interrupted().then(() => stop.abort());
          while (!stop.signal.aborted) {
            try {
              await sleep(pollMs, undefined, { signal: stop.signal });
            } catch {
              break; // aborted: Ctrl-C
            }
            const fresh = queryEvents(
              log.db,
              { ...filter, afterSeq: lastSeq },
              { limit: FOLLOW_PAGE_ROWS, first: true },
            );
            print(fresh);
            lastSeq = fresh.at(-1)?.seq ?? lastSeq;
          }
        } finally {
          log.close();
        }
      }),
    );
}
