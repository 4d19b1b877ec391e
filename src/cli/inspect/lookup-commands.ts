import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { TesdError } from '../../core/errors.js';
import { renderTable } from '../../inspect/format-table.js';
import { LOOKUP_COLUMNS, lookupRow } from '../../inspect/lookup-list.js';
import { renderReplayHtml } from '../../inspect/replay-html.js';
import { renderCheck } from '../../inspect/replay-check.js';
import type { CheckOptions } from '../../api/log-types.js';
import type { LookupKind } from '../../events/event-types.js';
import { renderReplay } from '../../inspect/replay-text.js';
import { parseTime } from '../../inspect/time-spec.js';
import {
  json,
  parseCount,
  runCommand,
  withDataDir,
  withEventLog,
  type InspectIo,
} from './inspect-io.js';

interface LookupsOptions {
  dataDir: string;
  kind?: string;
  since?: string;
  limit: string;
  json?: boolean;
}

interface ReplayOptions {
  dataDir: string;
  check?: boolean;
  html?: string;
  json?: boolean;
  k?: string;
  alpha?: string;
  strictIpDiversity?: boolean;
}

/** `tesd lookups` and `tesd replay`. */
export function registerLookupCommands(program: Command, io: InspectIo): void {
  withDataDir(program.command('lookups').description('recorded lookups, newest first'))
    .option('--kind <kind>', 'only node, value, refresh or bootstrap lookups')
    .option('--since <time>', 'only lookups started since an ISO time or a duration ago')
    .option('--limit <n>', 'at most n lookups (0: all)', '50')
    .option('--json', 'as JSON')
    .action((options: LookupsOptions) =>
      runCommand(io, () => {
        const limit = parseCount('--limit', options.limit);
        const lookups = withEventLog(options.dataDir, (log) =>
          log.lookups({
            ...(options.kind !== undefined ? { kind: options.kind as LookupKind } : {}),
            ...(options.since !== undefined ? { sinceMs: parseTime(options.since, io.now()) } : {}),
            ...(limit > 0 ? { limit } : {}),
          }),
        );
        if (options.json === true) io.out(json(lookups));
        else io.out(renderTable(LOOKUP_COLUMNS, lookups.map(lookupRow), io.width()));
      }),
    );

  withDataDir(
    program
      .command('replay')
      .description('a recorded lookup step by step; --check re-decides it with the current code')
      .argument('<lookup-id>', "the lookup's id (see tesd lookups)"),
  )
    .option('--check', 'drive the current lookup planner with the recorded answers and compare')
    .option('--html <file>', 'also write a self-contained page picturing the lookup')
    .option('--json', 'the replay (and check) as JSON')
    .option('--k <n>', 'k the node ran with (not recorded in the log; default 20)')
    .option('--alpha <n>', 'alpha for --check (default 3)')
    .option('--strict-ip-diversity', 'for --check: the node ran with --strict-ip-diversity')
    .action((lookupId: string, options: ReplayOptions) =>
      runCommand(io, () => {
        const id = parseCount('lookup id', lookupId);
        if (id === 0) throw new TesdError('bad_flag', 'lookup ids start at 1 (see tesd lookups)');
        const k = options.k === undefined ? undefined : parseCount('--k', options.k);
        const checkOptions: CheckOptions = {
          ...(k !== undefined ? { k } : {}),
          ...(options.alpha !== undefined ? { alpha: parseCount('--alpha', options.alpha) } : {}),
          ...(options.strictIpDiversity === true ? { strictIpDiversity: true } : {}),
        };
        const { replay, check } = withEventLog(options.dataDir, (log) => ({
          replay: log.replay(id, k === undefined ? {} : { k }),
          check: options.check === true ? log.checkReplay(id, checkOptions) : null,
        }));
        if (options.html !== undefined) writeFileSync(options.html, renderReplayHtml(replay));
        if (options.json === true) {
          io.out(json(check === null ? { replay } : { replay, check }));
        } else {
          io.out(renderReplay(replay, Math.min(io.width(), 120)));
          if (check !== null) io.out('\n' + renderCheck(check));
          if (options.html !== undefined) io.out(`\nwrote ${options.html}\n`);
        }
        if (check !== null && !check.matches) io.setExitCode(1);
      }),
    );
}
