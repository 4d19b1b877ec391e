import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LookupResult } from '../../src/dht/iterative-lookup.js';
import { lookupStepOf, type LookupStep } from '../../src/dht/lookup-steps.js';
import type { MemoryEventStore } from '../../src/events/memory-event-store.js';
import { createSimulation } from '../../src/sim/simulation.js';

/**
 * Lookup progress as values (issue 10 item 4): a lookup hands its follower each step as it
 * happens, and the events it records read back into exactly those values.
 */

function network() {
  const sim = createSimulation({ seed: 1004, nodes: 12, checkEveryStep: true, config: { k: 4 } });
  sim.bootstrapAll();
  sim.runUntilIdle();
  return sim;
}

function follow(sim: ReturnType<typeof network>, from: number, target: Uint8Array) {
  const steps: LookupStep[] = [];
  let result: LookupResult | undefined;
  const seqBefore = sim.nodes[from]!.store.lastSeq;
  sim
    .node(from)
    .lookup({ target, kind: 'node', onStep: (step) => steps.push(step) }, (r) => (result = r));
  sim.runUntilIdle();
  assert.ok(result !== undefined, 'the lookup finished');
  return { steps, result, seqBefore };
}

test('given a 12-node network, a lookup yields started, one step per RPC and finished, as they happen', () => {
  const sim = network();
  const target = sim.random.bytes(20);
  const { steps, result } = follow(sim, 3, target);
  const [started, ...rest] = steps;
  const finished = rest.pop();
  assert.equal(started?.type, 'started');
  assert.equal(finished?.type, 'finished');
  assert.deepEqual(
    rest.map((s) => s.type),
    Array<string>(result.rpcs).fill('step'),
  );
  // Exact figures of this seeded run, and the finished step says what the result says.
  assert.deepEqual(
    { rpcs: result.rpcs, hops: result.hops, reason: result.reason },
    {
      rpcs: 4,
      hops: 2,
      reason: 'converged',
    },
  );
  assert.deepEqual(finished, {
    type: 'finished',
    lookupId: result.id,
    at: started.at + result.durationMs,
    target: Buffer.from(target).toString('hex'),
    result: result.closest.map((p) => p.identity.idHex),
    pointers: 0,
    hops: result.hops,
    rpcs: result.rpcs,
    durationMs: result.durationMs,
    reason: 'converged',
  });
  // Steps are handed over in time order, each with the lookup's id.
  for (let i = 1; i < steps.length; i++) assert.ok(steps[i]!.at >= steps[i - 1]!.at);
  assert.ok(steps.every((s) => s.lookupId === result.id && result.id > 0));
});

test('given a lookup followed live, then its recorded events read back into exactly the values it yielded', () => {
  const sim = network();
  const { steps, seqBefore } = follow(sim, 5, sim.random.bytes(20));
  const store = sim.nodes[5]!.store as MemoryEventStore;
  const recorded = [...store.read({ afterSeq: seqBefore })]
    .map(lookupStepOf)
    .filter((s): s is LookupStep => s !== null);
  assert.deepEqual(recorded, steps);
});

test('given the journal is paused, a lookup still yields its steps, with lookup id 0, and records none', () => {
  const sim = network();
  const store = sim.nodes[2]!.store as MemoryEventStore;
  store.failAppends('disk full');
  const { steps, result, seqBefore } = follow(sim, 2, sim.random.bytes(20));
  assert.equal(store.lastSeq, seqBefore, 'nothing recorded');
  assert.equal(result.id, 0);
  assert.equal(steps[0]?.type, 'started');
  assert.equal(steps.at(-1)?.type, 'finished');
  assert.equal(steps.length, result.rpcs + 2);
  assert.ok(steps.every((s) => s.lookupId === 0));
});
