import type { Command } from 'commander';
import { renderVerify } from '../../inspect/verify-view.js';
import { json, runCommand, withDataDir, withEventLog, type InspectIo } from './inspect-io.js';

interface VerifyOptions {
  dataDir: string;
  json?: boolean;
}

export function registerVerify(program: Command, io: InspectIo): void {
  withDataDir(
    program
      .command('verify')
      .description('check the hash chain, checkpoints and PRAGMA quick_check (exit 1 if broken)'),
  )
    .option('--json', 'the report as JSON')
    .action((options: VerifyOptions) =>
      runCommand(io, () => {
        // Opening first gives the clear "cannot open" line for a missing or foreign file.
        const report = withEventLog(options.dataDir, (log) => log.verify());
        io.out(options.json === true ? json(report) : renderVerify(report, options.dataDir));
        if (!report.ok) io.setExitCode(1);
      }),
    );
}
