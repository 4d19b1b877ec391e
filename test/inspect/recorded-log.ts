import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LookupResult } from '../../src/dht/iterative-lookup.js';
import { takeSnapshot } from '../../src/dht/snapshots.js';
import { MemoryEventStore } from '../../src/events/memory-event-store.js';
import { ObservedStore } from '../../src/events/observed-event-store.js';
import { SqliteEventStore } from '../../src/events/sqlite-event-store.js';
import { routingToJson, type RoutingJson } from '../../src/projections/routing-table.js';
import { createSimulation, type Simulation } from '../../src/sim/simulation.js';

/**
 * A log recorded in the test: a simulated network where one node journals to SQLite in a temp
 * data directory. While it runs, the node's live routing table is captured right after chosen
 * events (when the next event is appended, the live state is exactly "after event S"), and its
 * lookups' live results are kept, so the inspection tools can be compared with the truth.
 */

export interface RecordedLog {
  readonly dataDir: string;
  readonly sim: Simulation;
  /** Live routing table right after event `seq`, for every captured seq. */
  readonly routingAfter: Map<number, RoutingJson>;
  /** Lookups the recorded node ran in the test, with their live results. */
  readonly lookups: LookupResult[];
  readonly snapshotSeqs: number[];
  /** Closes the writer (the node stops journaling); the data dir stays until the test ends. */
  closeWriter(): void;
}

export const RECORDED_INDEX = 4;
const CAPTURE_EVERY = 7;

export function recordLog(t: { after(fn: () => void): void }, seed: number): RecordedLog {
  const dataDir = mkdtempSync(join(tmpdir(), 'tesd-inspect-'));
  const routingAfter = new Map<number, RoutingJson>();
  let writer: SqliteEventStore | null = null;
  // eslint-disable-next-line prefer-const -- the store factory runs before the sim is returned
  let sim: Simulation;
  const capture = (): void => {
    const simNode = sim?.nodes[RECORDED_INDEX];
    if (simNode === undefined) return;
    const { state } = simNode.node;
    if (state.lastSeq % CAPTURE_EVERY === 0 || state.lastSeq < 40)
      routingAfter.set(state.lastSeq, routingToJson(state.routing));
  };
  sim = createSimulation({
    seed,
    nodes: 24,
    storeFactory: (index) => {
      if (index !== RECORDED_INDEX) return new MemoryEventStore();
      writer = SqliteEventStore.open(dataDir, { checkpointInWorker: false });
      const store = new ObservedStore(writer);
      store.beforeAppend(capture);
      return store;
    },
  });
  t.after(() => {
    try {
      writer?.close();
    } catch {
      // already closed
    }
    rmSync(dataDir, { recursive: true, force: true });
  });
  const node = sim.node(RECORDED_INDEX);
  const snapshotSeqs: number[] = [];
  const snapshot = (): void => {
    const taken = takeSnapshot(node);
    if (taken !== null) snapshotSeqs.push(taken.seq);
  };
  sim.bootstrapAll();
  sim.runUntilIdle();
  snapshot();
  // Two nodes go silent: lookups meet timeouts, which the replay must show.
  sim.network.isolate(sim.nodes[9]!.addr);
  sim.network.isolate(sim.nodes[17]!.addr);
  const lookups: LookupResult[] = [];
  for (let i = 0; i < 3; i++) {
    node.lookup({ target: sim.random.bytes(20), kind: 'node' }, (r) => lookups.push(r));
    sim.runUntilIdle();
    if (i === 1) snapshot();
  }
  const tessera = sim.random.bytes(32);
  let keyHex = '';
  sim.node(11).publish({ tessera }, (r) => (keyHex = r.key));
  sim.runUntilIdle();
  node.find(Buffer.from(keyHex, 'hex'), {}, (r) => lookups.push(r.lookup));
  sim.runUntilIdle();
  snapshot();
  node.lookup({ target: sim.random.bytes(20), kind: 'node' }, (r) => lookups.push(r));
  sim.runUntilIdle();
  capture(); // the state after the very last event
  writer!.flush();
  return {
    dataDir,
    sim,
    routingAfter,
    lookups,
    snapshotSeqs,
    closeWriter: () => writer?.close(),
  };
}
