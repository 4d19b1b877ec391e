import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NetworkSizeWatch } from '../../src/cli/netsize-watch.js';
import { createSimulation } from '../../src/sim/simulation.js';

test('a node records network_size_estimated when its estimate changes, and only then', () => {
  // Given a simulated network of 8 nodes that all joined
  const sim = createSimulation({ seed: 8, nodes: 8 });
  sim.bootstrapAll({ staggerMs: 20 });
  sim.runUntilIdle();
  const node = sim.node(3);
  const estimates = () => [...node.store.read({ type: 'network_size_estimated' })];

  // When the watch starts, then it records the network it knows: all 8 nodes, counted
  const watch = new NetworkSizeWatch(node);
  watch.start();
  assert.deepEqual(watch.current, { size: 8, method: 'counted', samples: 1, peers: 7 });
  const [first] = estimates();
  assert.deepEqual(first?.data, {
    size: 8,
    method: 'counted',
    samples: 1,
    peers: 7,
    previous: null,
  });

  // When nothing changes for a few recompute periods, then nothing more is recorded
  sim.runFor(120_000);
  assert.equal(estimates().length, 1);

  // When two more nodes join, then the change (25%) is recorded with the previous size
  for (let i = 0; i < 2; i++) {
    const added = sim.addNode();
    added.node.bootstrap([sim.seedOf(3)], () => undefined);
  }
  sim.runFor(60_000);
  watch.stop();
  const last = estimates().at(-1)!;
  assert.equal(last.type === 'network_size_estimated' && last.data.size, 10);
  assert.equal(last.type === 'network_size_estimated' && last.data.previous, 8);
});
