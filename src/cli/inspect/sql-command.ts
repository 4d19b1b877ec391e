import type { Command } from 'commander';
import { TesdError } from '../../core/errors.js';
import { renderCsv, renderTable, rowsToObjects } from '../../inspect/format-table.js';
import { withLog } from '../../inspect/open-log.js';
import { runReadOnlySql } from '../../inspect/sql-query.js';
import { json, runCommand, withDataDir, type InspectIo } from './inspect-io.js';

interface SqlOptions {
  dataDir: string;
  json?: boolean;
  csv?: boolean;
}

export function registerSql(program: Command, io: InspectIo): void {
  withDataDir(
    program
      .command('sql')
      .description('read-only SQL over events.db (tables: events, snapshots, log_meta)')
      .argument(
        '<query>',
        'one SQL statement, e.g. "SELECT type, count(*) FROM events GROUP BY 1"',
      ),
  )
    .option('--json', 'rows as an array of JSON objects')
    .option('--csv', 'rows as CSV with a header line')
    .action((query: string, options: SqlOptions) =>
      runCommand(io, () => {
        if (options.json === true && options.csv === true)
          throw new TesdError('bad_flag', 'choose one of --json and --csv');
        const { columns, rows } = withLog(options.dataDir, (log) => runReadOnlySql(log.db, query));
        if (options.json === true) io.out(json(rowsToObjects(columns, rows)));
        else if (options.csv === true) io.out(renderCsv(columns, rows));
        else if (columns.length > 0) {
          io.out(renderTable(columns, rows, io.width()));
          io.out(`(${rows.length} row${rows.length === 1 ? '' : 's'})\n`);
        }
      }),
    );
}
