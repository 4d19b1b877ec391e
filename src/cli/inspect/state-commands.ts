import type { Command } from 'commander';
import { withLog } from '../../inspect/open-log.js';
import { pointersView, renderPointers } from '../../inspect/pointers-view.js';
import { renderRouting, routingView } from '../../inspect/routing-view.js';
import { parseMoment } from '../../inspect/time-spec.js';
import { stateAt, type StateAt } from '../../inspect/time-travel.js';
import { json, runCommand, withDataDir, type InspectIo } from './inspect-io.js';

interface StateOptions {
  dataDir: string;
  at?: string;
  json?: boolean;
}

const AT_HELP =
  'the moment: a seq (after that event), an ISO time or a duration ago (10m); default now';

function computeState(io: InspectIo, options: StateOptions): StateAt {
  const moment = options.at === undefined ? null : parseMoment(options.at, io.now());
  return withLog(options.dataDir, (log) => stateAt(log.store, moment));
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
        const view = routingView(computeState(io, options));
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
        const view = pointersView(computeState(io, options));
        io.out(options.json === true ? json(view) : renderPointers(view, io.width()));
      }),
    );
}
