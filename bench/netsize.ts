import { seededRandom } from '../src/core/random.js';
import { estimateNetworkSize } from '../src/dht/netsize.js';
import { idealNetwork } from '../test/see/ideal-network.js';

/**
 * `npm run bench:netsize -- [--nodes 1000,10000] [--sampled 50] [--lookups 6] [--seed 7]`:
 * how far the network size estimate (src/dht/netsize.ts) is from the true size, over sampled
 * nodes of networks built from random IDs (test/see/ideal-network.ts: per-bucket tables as a
 * long-running node holds them, lookups returning the true k closest). Figures: the median
 * and worst relative error, from the table alone and from the table plus `lookups` samples.
 */

function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
}

const sizes = flag('nodes', '1000,10000').split(',').map(Number);
const sampled = Number(flag('sampled', '50'));
const lookups = Number(flag('lookups', '6'));
const seed = Number(flag('seed', '7'));

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const figures: Record<string, number> = { sampled, lookups, seed };
for (const size of sizes) {
  const started = performance.now();
  const random = seededRandom(seed + size);
  const net = idealNetwork(random, size);
  const tableOnly: number[] = [];
  const withLookups: number[] = [];
  for (let n = 0; n < sampled; n++) {
    const index = random.int(size);
    const table = net.tableSample(index);
    tableOnly.push(Math.abs(estimateNetworkSize(table)!.size / size - 1));
    const samples = Array.from({ length: lookups }, () => net.lookupSample(index));
    withLookups.push(Math.abs(estimateNetworkSize(table, samples)!.size / size - 1));
  }
  const seconds = (performance.now() - started) / 1000;
  const pct = (x: number): number => Math.round(x * 1000) / 10;
  figures[`table_median_err_pct_${size}`] = pct(quantile(tableOnly, 0.5));
  figures[`table_worst_err_pct_${size}`] = pct(Math.max(...tableOnly));
  figures[`median_err_pct_${size}`] = pct(quantile(withLookups, 0.5));
  figures[`p90_err_pct_${size}`] = pct(quantile(withLookups, 0.9));
  figures[`worst_err_pct_${size}`] = pct(Math.max(...withLookups));
  console.log(
    `${size} nodes, ${sampled} sampled: table alone median ${pct(quantile(tableOnly, 0.5))}% ` +
      `worst ${pct(Math.max(...tableOnly))}%; table + ${lookups} lookups median ` +
      `${pct(quantile(withLookups, 0.5))}% p90 ${pct(quantile(withLookups, 0.9))}% ` +
      `worst ${pct(Math.max(...withLookups))}% (${seconds.toFixed(1)} s)`,
  );
}
console.log(JSON.stringify(figures));
