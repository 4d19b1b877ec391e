import { recordLog } from '/work/main/test/inspect/recorded-log.js';
import { Command } from 'commander';
import { registerInspectCommands } from '/work/main/src/cli/inspect/index.js';
const afters: Array<() => void> = [];
const t0 = Date.now();
const log = recordLog({ after: (fn) => afters.push(fn) }, 1);
console.log('recorded in', Date.now() - t0, 'ms', log.dataDir, log.lookups.map((l) => [l.id, l.hops, l.rpcs, l.reason]), log.snapshotSeqs, log.routingAfter.size);
log.closeWriter();
const args = process.argv.slice(2);
for (const cmd of [['lookups'], ['replay', String(log.lookups[0]!.id), '--check', '--html', '/tmp/replay.html'], ['routing', '--at', '30'], ['sql', 'SELECT type, count(*) n FROM events GROUP BY type ORDER BY n DESC'], ['verify'], ['events', '--limit', '5'], ['pointers']]) {
  const p = new Command(); p.exitOverride();
  registerInspectCommands(p);
  console.log('$ tesd', cmd.join(' '));
  await p.parseAsync(['node', 'tesd', ...cmd, '--data-dir', log.dataDir]);
}
if (args[0] !== 'keep') afters.forEach((f) => f()); else console.log('kept', log.dataDir);
