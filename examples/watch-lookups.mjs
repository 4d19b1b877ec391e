/* global process, console, AbortSignal, AbortController, setTimeout */
// Prints the lookups a node makes, live, step by step, while another node publishes and finds.
// Run after `npm run build`: node examples/watch-lookups.mjs [SECONDS]   (default: until done)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lookupStepOf, startNode } from 'tesseras-node';

const dir = mkdtempSync(join(tmpdir(), 'tesseras-watch-'));
const short = (id) => id.slice(0, 8);
const watching = new AbortController();
const nodes = [];

/** One line per lookup event of `node`, until the signal aborts or the node stops. */
async function watch(node, signal) {
  try {
    const types = ['lookup_started', 'lookup_step', 'lookup_finished'];
    for await (const event of node.events({ types, signal })) {
      const step = lookupStepOf(event);
      if (step.type === 'started')
        console.log(
          `lookup ${step.lookupId} (${step.kind}) for ${short(step.target)}: ${step.seeds.length} seeds`,
        );
      else if (step.type === 'step')
        console.log(
          `  lookup ${step.lookupId} hop ${step.hop} ${short(step.peer)} ${step.outcome} in ${step.latencyMs} ms: ` +
            `${step.returned.length} peers, ${step.pointers} pointers`,
        );
      else
        console.log(
          `  lookup ${step.lookupId} ${step.reason}: ${step.hops} hops, ${step.rpcs} RPCs, ${step.durationMs} ms`,
        );
    }
  } catch (error) {
    if (error.code !== 'aborted') throw error;
  }
}

try {
  for (let i = 0; i < 4; i++) {
    const bootstrap = i === 0 ? [] : [nodes[0].addr];
    nodes.push(
      await startNode({ dataDir: join(dir, `node-${i}`), bind: '127.0.0.1:0', bootstrap }),
    );
  }
  const watcher = nodes[3];
  const watched = watch(watcher, watching.signal);

  // A lookup of our own: the same steps, from the one lookup's iterable.
  for await (const step of watcher.lookup(nodes[1].id, { signal: AbortSignal.timeout(10_000) }))
    if (step.type === 'finished')
      console.log(`node.lookup: closest ${short(step.result[0] ?? '')}`);

  const tessera = 'ab'.repeat(32);
  await nodes[0].publish(tessera);
  const found = await watcher.find(tessera, { all: true });
  console.log(`find: ${found.pointers.length} pointer(s)`);

  const seconds = Number(process.argv[2] ?? 0);
  if (seconds > 0) await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  watching.abort();
  await watched;
} finally {
  await Promise.all(nodes.map((node) => node.stop()));
  rmSync(dir, { recursive: true, force: true });
}
