import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { seededRandom } from '../../src/core/random.js';
import {
  changedMaterially,
  estimateNetworkSize,
  normalizedDistance,
  type DistanceSample,
  routingSample,
} from '../../src/dht/netsize.js';
import { createSimulation } from '../../src/sim/simulation.js';
import { seeded } from '../support/seed.js';
import { idealNetwork } from './ideal-network.js';

/** Lookups a node has after joining: its own-ID lookup and a few bucket refreshes. */
const LOOKUP_SAMPLES = 6;

describe('network size estimate (src/dht/netsize.ts)', () => {
  test('normalized distance: equal IDs are 0, a differing first bit is at least 1/2', () => {
    const a = new Uint8Array(20);
    const b = new Uint8Array(20);
    assert.equal(normalizedDistance(a, b), 0);
    b[0] = 0x80;
    assert.equal(normalizedDistance(a, b), 0.5);
  });

  test('a table with fewer than k peers counts them: the node knows the whole network', () => {
    const random = seededRandom(1);
    const net = idealNetwork(random, 5);
    assert.deepEqual(estimateNetworkSize(net.tableSample(0)), {
      size: 5,
      method: 'counted',
      samples: 1,
      peers: 4,
    });
    assert.equal(estimateNetworkSize({ target: net.ids[0]!, peers: [] }), null);
  });

  test('at 1,000 nodes, every sampled node is within 30% (table + 6 lookups)', () => {
    seeded(1000, (seed) => {
      const random = seededRandom(seed);
      const size = 1000;
      const net = idealNetwork(random, size);
      const errors: number[] = [];
      for (let n = 0; n < 40; n++) {
        const index = random.int(size);
        const lookups = Array.from({ length: LOOKUP_SAMPLES }, () => net.lookupSample(index));
        const estimate = estimateNetworkSize(net.tableSample(index), lookups)!;
        assert.equal(estimate.method, 'distances');
        assert.equal(estimate.samples, 1 + LOOKUP_SAMPLES);
        errors.push(estimate.size / size - 1);
      }
      const worst = Math.max(...errors.map(Math.abs));
      assert.ok(worst <= 0.3, `worst error ${(worst * 100).toFixed(1)}%: ${errors.join(', ')}`);
    });
  });

  test('at 1,000 nodes, the table alone is within 30% in the median', () => {
    seeded(1001, (seed) => {
      const random = seededRandom(seed);
      const net = idealNetwork(random, 1000);
      const sizes = Array.from(
        { length: 40 },
        (_, i) => estimateNetworkSize(net.tableSample(i))!.size,
      );
      sizes.sort((a, b) => a - b);
      const median = sizes[sizes.length >> 1]!;
      assert.ok(Math.abs(median / 1000 - 1) <= 0.3, `median ${median}`);
    });
  });

  test('on a simulated 50-node network, nodes estimate within 30% from their tables and lookups', () => {
    seeded(50, (seed) => {
      const size = 50;
      const sim = createSimulation({ seed, nodes: size, checks: false });
      sim.bootstrapAll({ staggerMs: 20 });
      sim.runUntilIdle();
      for (const index of [5, 49]) {
        const node = sim.node(index);
        // Lookups from before the last node joined saw a smaller network: ask again now.
        const lookups: DistanceSample[] = [];
        for (let i = 0; i < LOOKUP_SAMPLES; i++) {
          const target = sim.random.bytes(20);
          node.lookup({ target, kind: 'node' }, (result) =>
            lookups.push({ target, peers: result.closest.map((p) => p.identity.id) }),
          );
        }
        sim.runUntilIdle();
        assert.equal(lookups.length, LOOKUP_SAMPLES);
        const estimate = estimateNetworkSize(routingSample(node.state.routing), lookups)!;
        assert.ok(
          Math.abs(estimate.size / size - 1) <= 0.3,
          `node ${index}: ${estimate.size} from ${estimate.samples} samples`,
        );
      }
    });
  });

  test('a change is material above 10%, or when the method changes', () => {
    const base = { size: 1000, method: 'distances', samples: 3, peers: 60 } as const;
    assert.equal(changedMaterially(null, base), true);
    assert.equal(changedMaterially(base, { ...base, size: 1090 }), false);
    assert.equal(changedMaterially(base, { ...base, size: 1110 }), true);
    assert.equal(changedMaterially(base, { ...base, method: 'counted' }), true);
    assert.equal(changedMaterially(base, null), false);
  });
});
