import type { Command } from 'commander';
import { backupEventLog } from '../../events/backup.js';
import { DEFAULT_DATA_DIR } from './options.js';

export function registerBackupCommand(program: Command): void {
  program
    .command('backup')
    .description('online backup of the event log (works while the node runs)')
    .argument('<out.db>', 'the file to create (must not exist)')
    .option('--data-dir <dir>', 'the data directory', DEFAULT_DATA_DIR)
    .action(async (out: string, flags: { dataDir: string }) => {
      const result = await backupEventLog(flags.dataDir, out);
      process.stdout.write(`backed up ${result.totalPages} pages of events.db to ${out}\n`);
    });
}
