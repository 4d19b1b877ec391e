import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSimulation } from '../../src/sim/simulation.js';
import { seeded } from '../support/seed.js';

test('3 nodes bootstrap', () => {
  seeded(1, (seed) => {
    const sim = createSimulation({ seed, nodes: 3, checkEveryStep: true });
    sim.bootstrapAll();
    sim.runUntilIdle();
    for (let i = 0; i < 3; i++) assert.equal(sim.node(i).state.routing.byId.size, 2, `node ${i}`);
  });
});
