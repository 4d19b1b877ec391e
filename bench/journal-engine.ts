import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signingKeyFromSecret } from '../src/core/ed25519.js';
import { makeIdentity } from '../src/core/identity.js';
import { seededRandom } from '../src/core/random.js';
import { restoreState } from '../src/dht/snapshots.js';
import { signCheckpoint } from '../src/events/checkpoint.js';
import { SqliteEventStore } from '../src/events/sqlite-event-store.js';
import {
  nodeStateToJson,
  rebuildNodeState,
  SNAPSHOT_VERSION,
  STATE_EVENT_TYPES,
} from '../src/projections/node-state.js';
import { createSimulation } from '../src/sim/simulation.js';
import { realisticLog } from './realistic-log.js';

/** The parts of bench:journal that need the engine: restart times and journal overhead. */

export interface RestartFigures {
  events: number;
  /** Open (tail verified from the latest checkpoint) + state folded from the whole log. */
  replayMs: number;
  /** Open + state from the latest snapshot and the 1,000 events after it. */
  snapshotMs: number;
  /** Opening a log that has no checkpoint at all: the whole chain is verified. */
  verifyFullMs: number;
  peers: number;
  pointers: number;
}

/**
 * Writes a realistic log of `events`, then restarts on it: once with no checkpoint (full
 * verification), then, with a signed snapshot 1,000 events before the tail, replaying the
 * whole log (as after a snapshot format change) and from the snapshot.
 */
export function measureRestart(events: number): RestartFigures {
  const dir = mkdtempSync(join(tmpdir(), 'tesd-restart-bench-'));
  const key = signingKeyFromSecret(seededRandom(5).bytes(32));
  const identity = makeIdentity(key.pk, 0);
  const timed = <T>(run: () => T): [T, number] => {
    const start = performance.now();
    return [run(), performance.now() - start];
  };
  try {
    const writer = SqliteEventStore.open(dir, { lock: false });
    const log = realisticLog(seededRandom(6), identity.id, 1_700_000_000_000);
    for (let i = 0; i < events - 1_000; i++) writer.append(log.next());
    writer.close();

    const [first, verifyFullMs] = timed(() => SqliteEventStore.open(dir, { lock: false }));
    const state = restoreState(first, identity);
    first.saveSnapshot({
      seq: state.lastSeq,
      hash: first.lastHash,
      at: state.lastEventAtMs,
      version: SNAPSHOT_VERSION,
      state: JSON.stringify(nodeStateToJson(state)),
      signature: signCheckpoint(key, state.lastSeq, first.lastHash),
    });
    for (let i = 0; i < 1_000; i++) first.append(log.next());
    first.close();

    const [, replayMs] = timed(() => {
      const store = SqliteEventStore.open(dir, { lock: false });
      rebuildNodeState(identity.id, identity.idHex, null, store.read({ types: STATE_EVENT_TYPES }));
      store.close();
    });
    const [restored, snapshotMs] = timed(() => {
      const store = SqliteEventStore.open(dir, { lock: false });
      const rebuilt = restoreState(store, identity);
      store.close();
      return rebuilt;
    });
    return {
      events,
      replayMs,
      snapshotMs,
      verifyFullMs,
      peers: restored.routing.byId.size,
      pointers: restored.pointers.size,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Simulated RPC throughput with every node journaling to SQLite, divided by the same with
 * in-memory stores (hash chain on in both), same network, same lookups, same run.
 */
export function measureJournalOverhead(
  nodes = 30,
  lookups = 300,
): { ratio: number; memoryRps: number; sqliteRps: number } {
  const rps = (sqlite: boolean): number => {
    const dirs: string[] = [];
    const sim = createSimulation({
      seed: 9,
      nodes,
      checks: false,
      storeFactory: () => {
        if (!sqlite) return undefined;
        const dir = mkdtempSync(join(tmpdir(), 'tesd-overhead-'));
        dirs.push(dir);
        return SqliteEventStore.open(dir, { lock: false });
      },
    });
    try {
      sim.bootstrapAll();
      sim.runUntilIdle();
      const before = sim.network.stats.messages;
      const start = performance.now();
      for (let i = 0; i < lookups; i++)
        sim.node(i % nodes).lookup({ target: sim.random.bytes(20), kind: 'node' }, () => undefined);
      sim.runUntilIdle();
      for (const simNode of sim.nodes) simNode.store.flush();
      const seconds = (performance.now() - start) / 1000;
      return (sim.network.stats.messages - before) / 2 / seconds;
    } finally {
      for (const simNode of sim.nodes) simNode.store.close();
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }
  };
  const memoryRps = rps(false);
  const sqliteRps = rps(true);
  return { ratio: sqliteRps / memoryRps, memoryRps, sqliteRps };
}
