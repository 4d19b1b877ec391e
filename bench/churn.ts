/**
 * `npm run bench:churn`: issue 11's churn targets on the simulated network (virtual time,
 * 5-50 ms one-way latency, 2 s RPC timeout): 60 nodes, 25% crash, finds from the survivors
 * (p50, p95, success); then the crashed nodes restart together on their logs and rejoin
 * (share of restored live peers that answered, strikes against live peers). Several seeds.
 * Prints a human summary, then one JSON line. Options: --nodes 60 --seeds 5 --finds 100.
 */
import { parseArgs } from 'node:util';
import { runChurn } from '../test/dht/churn-scenario.js';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '60' },
    seeds: { type: 'string', default: '5' },
    finds: { type: 'string', default: '100' },
    kill: { type: 'string', default: '0.25' },
  },
});

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

const findMs: number[] = [];
let found = 0;
let finds = 0;
let live = 0;
let answered = 0;
let reportedHonestly = 0;
let rejoins = 0;
let strikes = 0;
const started = performance.now();
for (let seed = 1; seed <= Number(values.seeds); seed++) {
  const figures = runChurn({
    seed,
    nodes: Number(values.nodes),
    killFraction: Number(values.kill),
    pointers: 10,
    finds: Number(values.finds),
  });
  findMs.push(...figures.findMs);
  found += figures.found;
  finds += figures.findMs.length;
  for (const rejoin of figures.rejoins) {
    rejoins++;
    live += rejoin.live;
    answered += rejoin.answered;
    if (rejoin.reported === rejoin.answered) reportedHonestly++;
  }
  strikes += figures.strikesOnLive;
}
const result = {
  bench: 'churn',
  nodes: Number(values.nodes),
  seeds: Number(values.seeds),
  kill_fraction: Number(values.kill),
  finds,
  find_p50_ms: percentile(findMs, 50),
  find_p95_ms: percentile(findMs, 95),
  find_max_ms: Math.max(...findMs),
  find_success: Number((found / finds).toFixed(4)),
  rejoining_nodes: rejoins,
  rejoin_answered_share: Number((answered / live).toFixed(4)),
  rejoin_reports_exact: reportedHonestly,
  strikes_on_live_peers: strikes,
  wall_s: Number(((performance.now() - started) / 1000).toFixed(1)),
};
console.log(
  `${result.nodes} simulated nodes, ${result.kill_fraction * 100}% crashed, ${result.seeds} seeds:\n` +
    `  finds: p50 ${result.find_p50_ms} ms, p95 ${result.find_p95_ms} ms, max ${result.find_max_ms} ms, ` +
    `success ${result.find_success} of ${finds}\n` +
    `  rejoin of the crashed nodes restarted together: ${answered} of ${live} restored live peers ` +
    `answered (${result.rejoin_answered_share}); ${strikes} strikes against live peers; ` +
    `${reportedHonestly} of ${rejoins} reports exact`,
);
console.log(JSON.stringify(result));
