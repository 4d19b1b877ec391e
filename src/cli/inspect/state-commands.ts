import type { Command } from 'commander';
import type { MomentInput } from '../../api/log-types.js';
import { renderPointers } from '../../inspect/pointers-view.js';
import { renderRouting } from '../../inspect/routing-view.js';
import { parseMoment } from '../../inspect/time-spec.js';
import { json, runCommand, withDataDir, withEventLog, type InspectIo } from './inspect-io.js';

interface StateOptions {
  dataDir: string;
  at?: string;
  json?: boolean;
}

const AT_HELP =
  'the moment: a seq (after that event), an ISO time or a duration ago (10m); default now';

/** `--at` as the library's moment: a seq, or a time (durations count back from io.now()). */
function momentOf(io: InspectIo, options: StateOptions): MomentInput | undefined {
  if (options.at === undefined) return undefined;
  const moment = parseMoment(options.at, io.now());
  return 'seq' in moment ? moment.seq : new Date(moment.atMs);
}

/** `tesd routing` and `tesd pointers`: projections now or at a past moment (time travel). */
export function registerStateCommands(program: Command, io: InspectIo): void {
  withDataDir(
    program
      .command('routing')
      .description('the routing table by bucket, now or as it was at a past moment'),
  )
    .option('--at <seq|time>', AT_HELP)
    .option('--json', 'as JSON (the snapshot form of the table)')
    .action((options: StateOptions) =>
      runCommand(io, () => {
        const view = withEventLog(options.dataDir, (log) => log.routingAt(momentOf(io, options)));
        io.out(options.json === true ? json(view) : renderRouting(view, io.width()));
      }),
    );
  withDataDir(
    program
      .command('pointers')
      .description('the pointer store and own publications, now or at a past moment'),
  )
    .option('--at <seq|time>', AT_HELP)
    .option('--json', 'as JSON')
    .action((options: StateOptions) =>
      runCommand(io, () => {
        const view = withEventLog(options.dataDir, (log) => log.pointersAt(momentOf(io, options)));
        io.out(options.json === true ? json(view) : renderPointers(view, io.width()));
      }),
    );
}
