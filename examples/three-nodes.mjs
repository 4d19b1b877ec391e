/* global process, console, AbortSignal */
// Three nodes in one process on 127.0.0.1: the first publishes a tessera, the third finds it.
// Run after `npm run build`: node examples/three-nodes.mjs [DIR]   (default: a temp directory)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNode } from 'tesseras-node';

const dir = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'tesseras-three-'));
const nodes = [];
try {
  // The first node has no one to join; the others join through it (ID@host:port checks its ID).
  const first = await startNode({ dataDir: join(dir, 'node-0'), bind: '127.0.0.1:0' });
  nodes.push(first);
  for (const name of ['node-1', 'node-2'])
    nodes.push(
      await startNode({
        dataDir: join(dir, name),
        bind: '127.0.0.1:0',
        bootstrap: [`${first.id}@${first.addr}`],
      }),
    );
  for (const node of nodes) console.log(`node ${node.id.slice(0, 8)} on ${node.addr}`);

  const tessera = '704a12521f85477b39070a76c733f27b0a2becb71425dd7dfadafa2a2f49a875';
  const published = await nodes[0].publish(tessera, { signal: AbortSignal.timeout(10_000) });
  console.log(`published key ${published.key} seq ${published.seq} at ${published.storedAt} nodes`);

  const found = await nodes[2].find(tessera, { signal: AbortSignal.timeout(10_000) });
  for (const pointer of found.pointers)
    console.log(
      `found from ${nodes[2].id.slice(0, 8)}: held by ${pointer.holders.map((h) => h.addr).join(', ')} ` +
        `(lookup ${found.lookupId}: ${found.hops} hops, ${found.rpcs} RPCs)`,
    );
  if (found.pointers.length === 0) process.exitCode = 1;
} finally {
  await Promise.all(nodes.map((node) => node.stop()));
  if (process.argv[2] === undefined) rmSync(dir, { recursive: true, force: true });
}
