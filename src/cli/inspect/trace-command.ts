import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { TesdError } from '../../core/errors.js';
import { openLog, type OpenedLog } from '../../inspect/open-log.js';
import { buildTrace } from '../../inspect/trace.js';
import { renderTraceHtml } from '../../inspect/trace-html.js';
import { renderTrace } from '../../inspect/trace-text.js';
import { json, parseCount, runCommand, withDataDir, type InspectIo } from './inspect-io.js';

interface TraceOptions {
  dataDir: string;
  with?: string;
  html?: string;
  json?: boolean;
}

/** `tesd trace LOOKUP_ID --data-dir A --with B,C`: one lookup across the nodes it reached. */
export function registerTrace(program: Command, io: InspectIo): void {
  withDataDir(
    program
      .command('trace')
      .description('follow one lookup through the logs of the nodes it contacted, on one timeline')
      .argument('<lookup-id>', "the lookup's id on the --data-dir node (see tesd lookups)"),
  )
    .option(
      '--with <dirs>',
      'comma-separated data directories (or backups’ directories) of the other nodes',
    )
    .option('--html <file>', 'also write a self-contained page with the timeline as lanes')
    .option('--json', 'the trace as JSON')
    .action((lookupId: string, options: TraceOptions) =>
      runCommand(io, () => {
        const id = parseCount('lookup id', lookupId);
        if (id === 0) throw new TesdError('bad_flag', 'lookup ids start at 1 (see tesd lookups)');
        const dirs = (options.with ?? '')
          .split(',')
          .map((d) => d.trim())
          .filter((d) => d !== '');
        const opened: OpenedLog[] = [];
        try {
          const origin = openLog(options.dataDir);
          opened.push(origin);
          const others = dirs.map((dir) => {
            const log = openLog(dir);
            opened.push(log);
            return { dataDir: dir, store: log.store };
          });
          const trace = buildTrace({ dataDir: options.dataDir, store: origin.store }, others, id);
          if (options.html !== undefined) writeFileSync(options.html, renderTraceHtml(trace));
          if (options.json === true) io.out(json(trace));
          else {
            io.out(renderTrace(trace));
            if (options.html !== undefined) io.out(`\nwrote ${options.html}\n`);
          }
        } finally {
          for (const log of opened) log.close();
        }
      }),
    );
}
