import { parseArgs } from 'node:util';
import { compareDistance } from '../src/core/distance.js';
import { toHex } from '../src/core/bytes.js';
import type { LookupResult } from '../src/dht/iterative-lookup.js';
import { createSimulation } from '../src/sim/simulation.js';

/** bench:lookup: lookups on a simulated network of N nodes (issue 2 targets). */
const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '1000' },
    lookups: { type: 'string', default: '200' },
    seed: { type: 'string', default: '42' },
  },
});
const nodeCount = Number(values.nodes);
const lookupCount = Number(values.lookups);
const seed = Number(values.seed);

/** The heap still in use after a full GC (run with --expose-gc; null otherwise). */
function liveHeapMb(): number | null {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return null;
  gc();
  return Math.round(process.memoryUsage().heapUsed / 2 ** 20);
}

/**
 * The `k` IDs closest to `target`, by one pass that keeps the best so far: sorting every ID
 * for every lookup took minutes at 100,000 nodes.
 */
function closestOf(ids: readonly Uint8Array[], target: Uint8Array, k: number): Uint8Array[] {
  const best: Uint8Array[] = [];
  for (const id of ids) {
    if (best.length === k && compareDistance(target, id, best[k - 1]!) >= 0) continue;
    let at = Math.min(best.length, k - 1);
    best[at] = id;
    while (at > 0 && compareDistance(target, best[at - 1]!, id) > 0) {
      best[at] = best[at - 1]!;
      best[--at] = id;
    }
  }
  return best;
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;

const buildStart = performance.now();
const sim = createSimulation({
  seed,
  nodes: nodeCount,
  checks: false,
  store: { maxRetained: 0, hashChain: false },
  latencyMs: { min: 10, max: 80 },
});
const identitiesS = (performance.now() - buildStart) / 1000;
// CPU, not wall time: the machine may be shared; identities (proof of work) are left out.
const cpuStart = process.cpuUsage();
const STAGGER_MS = 50;
sim.bootstrapAll({ staggerMs: STAGGER_MS });
// A 10,000-node build runs for minutes: say how far it got, every tenth of the joins, and
// what it holds (a 100,000-node run that cannot finish still tells how it grows).
for (let tenth = 1; tenth < 10; tenth++) {
  sim.timers.setTimer((tenth * nodeCount * STAGGER_MS) / 10, () => {
    const seconds = ((performance.now() - buildStart) / 1000).toFixed(0);
    const rssMb = Math.round(process.memoryUsage().rss / 2 ** 20);
    console.log(
      `  ${tenth * 10}% of the nodes joining (${seconds} s, ${sim.network.stats.messages} messages, rss ${rssMb} MB)`,
    );
  });
}
sim.runUntilIdle(1e9);
const buildS = (performance.now() - buildStart) / 1000;
// The build's CPU time: what build_s would be on a free core, whatever the machine's load.
const buildCpu = process.cpuUsage(cpuStart);

const ids = sim.nodes.map((n) => n.identity.id);
const results: Array<{ result: LookupResult; target: Uint8Array }> = [];
const lookupStart = performance.now();
for (let i = 0; i < lookupCount; i++) {
  const target = sim.random.bytes(20);
  const from = sim.node(sim.random.int(nodeCount));
  sim.timers.setTimer(i * 20, () =>
    from.lookup({ target, kind: 'node' }, (result) => results.push({ result, target })),
  );
}
sim.runUntilIdle(1e9);
const lookupS = (performance.now() - lookupStart) / 1000;
const cpu = process.cpuUsage(cpuStart);
// An RPC is a request and its reply: two of the network's messages.
const usPerRpc = (cpu.user + cpu.system) / (sim.network.stats.messages / 2);

const k = sim.config.k;
const recalls: number[] = [];
for (const { result, target } of results) {
  const truth = new Set(closestOf(ids, target, k).map(toHex));
  recalls.push(result.closest.filter((p) => truth.has(p.identity.idHex)).length);
}
const hops = results.map((r) => r.result.hops).sort((a, b) => a - b);
const rpcs = results.map((r) => r.result.rpcs).sort((a, b) => a - b);
const tableSizes = sim.nodes.map((n) => n.node.state.routing.byId.size).sort((a, b) => a - b);
const figures = {
  nodes: nodeCount,
  lookups: results.length,
  hops_p50: percentile(hops, 0.5),
  rpcs_p50: percentile(rpcs, 0.5),
  rpcs_p99: percentile(rpcs, 0.99),
  recall_k: Number((recalls.reduce((a, b) => a + b, 0) / (recalls.length * k)).toFixed(4)),
  found_ge18: Number((recalls.filter((r) => r >= 18).length / recalls.length).toFixed(4)),
  build_s: Number(buildS.toFixed(1)),
  build_cpu_s: Number(((buildCpu.user + buildCpu.system) / 1e6).toFixed(1)),
  identities_s: Number(identitiesS.toFixed(1)),
  lookups_s: Number(lookupS.toFixed(2)),
  table_p50: percentile(tableSizes, 0.5),
  messages: sim.network.stats.messages,
  us_per_rpc: Math.round(usPerRpc),
  rss_mb: Math.round(process.memoryUsage().rss / 2 ** 20),
  heap_live_mb: liveHeapMb(),
  seed,
};
console.log(
  `${nodeCount} nodes built in ${figures.build_s} s (${figures.build_cpu_s} s of CPU; identities ${figures.identities_s} s), median table ${figures.table_p50} peers`,
);
console.log(
  `CPU per RPC (both ends, codec, engine, log and simulated network): ${figures.us_per_rpc} us`,
);
console.log(
  `${figures.lookups} lookups: hops p50 ${figures.hops_p50}, rpcs p50 ${figures.rpcs_p50} p99 ${figures.rpcs_p99}`,
);
console.log(
  `recall of the true ${k} closest ${figures.recall_k}, lookups finding >= 18: ${figures.found_ge18}; rss ${figures.rss_mb} MB, live heap ${figures.heap_live_mb ?? '?'} MB`,
);
console.log(JSON.stringify(figures));
