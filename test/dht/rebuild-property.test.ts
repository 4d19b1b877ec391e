import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { restoreState, takeSnapshot } from '../../src/dht/snapshots.js';
import { SqliteEventStore } from '../../src/events/sqlite-event-store.js';
import { nodeStateToJson } from '../../src/projections/node-state.js';
import { createSimulation, type Simulation } from '../../src/sim/simulation.js';

const NODES = 8;
const JOURNALED = 0;

type Op =
  | { kind: 'publish'; node: number; tessera: number }
  | { kind: 'find'; node: number; tessera: number }
  | { kind: 'lookup'; node: number }
  | { kind: 'down'; node: number }
  | { kind: 'up'; node: number }
  | { kind: 'snapshot' }
  | { kind: 'restart'; crash: boolean }
  | { kind: 'time'; minutes: number };

const node = fc.integer({ min: 0, max: NODES - 1 });
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('publish' as const),
    node,
    tessera: fc.integer({ min: 0, max: 5 }),
  }),
  fc.record({ kind: fc.constant('find' as const), node, tessera: fc.integer({ min: 0, max: 5 }) }),
  fc.record({ kind: fc.constant('lookup' as const), node }),
  fc.record({ kind: fc.constant('down' as const), node: fc.integer({ min: 1, max: NODES - 1 }) }),
  fc.record({ kind: fc.constant('up' as const), node: fc.integer({ min: 1, max: NODES - 1 }) }),
  fc.record({ kind: fc.constant('snapshot' as const) }),
  fc.record({ kind: fc.constant('restart' as const), crash: fc.boolean() }),
  fc.record({ kind: fc.constant('time' as const), minutes: fc.integer({ min: 1, max: 24 * 60 }) }),
);

const tessera = (n: number): Uint8Array =>
  Uint8Array.from({ length: 32 }, (_, i) => (i + n * 31) & 255);

function apply(sim: Simulation, step: Op, open: () => SqliteEventStore): void {
  switch (step.kind) {
    case 'publish':
      sim.node(step.node).publish({ tessera: tessera(step.tessera) }, () => undefined);
      break;
    case 'find':
      sim.node(step.node).find(tessera(step.tessera).subarray(0, 20), {}, () => undefined);
      break;
    case 'lookup':
      sim.node(step.node).lookup({ target: sim.random.bytes(20), kind: 'node' }, () => undefined);
      break;
    case 'down':
    case 'up':
      sim.network.setDown(sim.nodes[step.node]!.addr, step.kind === 'down');
      break;
    case 'snapshot':
      takeSnapshot(sim.node(JOURNALED));
      break;
    case 'restart':
      sim.stopNode(JOURNALED, { crash: step.crash });
      sim.nodes[JOURNALED]!.store.close();
      sim.restartNode(JOURNALED, open()).node.rejoin([], () => undefined);
      break;
    case 'time':
      sim.timers.runFor(step.minutes * 60_000);
      break;
  }
  sim.runUntilIdle();
}

test('property: the state rebuilt from the SQLite log equals the live state after any operations', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 2 ** 30 }),
      fc.array(op, { minLength: 1, maxLength: 12 }),
      (seed, ops) => {
        const dataDir = mkdtempSync(join(tmpdir(), 'tesd-prop-'));
        let sim: Simulation | undefined;
        const open = (): SqliteEventStore =>
          SqliteEventStore.open(dataDir, {
            schedule: (flush) => void sim?.timers.setTimer(0, flush),
          });
        try {
          sim = createSimulation({
            seed,
            nodes: NODES,
            storeFactory: (i) => (i === JOURNALED ? open() : undefined),
          });
          sim.bootstrapAll();
          sim.runUntilIdle();
          for (const step of ops) apply(sim, step, open);
          const journaled = sim.nodes[JOURNALED]!;
          journaled.store.close();
          const reopened = SqliteEventStore.open(dataDir);
          try {
            const rebuilt = restoreState(reopened, journaled.identity);
            assert.deepEqual(nodeStateToJson(rebuilt), nodeStateToJson(journaled.node.state));
          } finally {
            reopened.close();
          }
        } finally {
          rmSync(dataDir, { recursive: true, force: true });
        }
      },
    ),
    { numRuns: 12 },
  );
});
