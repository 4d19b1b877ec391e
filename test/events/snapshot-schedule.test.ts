import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  QUIET_MINUTE_EVENTS,
  SNAPSHOT_EVERY_EVENTS,
  SNAPSHOT_EVERY_MS,
  startDaemonTasks,
  type DaemonTasks,
} from '../../src/cli/daemon-tasks.js';
import type { DaemonLog } from '../../src/cli/daemon-log.js';
import type { EventStore } from '../../src/events/event-store.js';
import type { StoredEvent } from '../../src/events/event-types.js';
import type { RetentionResult } from '../../src/events/retention.js';
import { SqliteEventStore } from '../../src/events/sqlite-event-store.js';
import { createSimulation, type Simulation } from '../../src/sim/simulation.js';
import { closeAtCleanup, tempDataDir } from './store-fixtures.js';

/**
 * The daemon's snapshot and retention scheduling (src/cli/daemon-tasks.ts), on virtual time:
 * a simulated node whose log is a real SqliteEventStore, the tasks on the simulation's timers.
 */

const NODE = 2;
const MINUTE_MS = 60_000;

interface Harness {
  sim: Simulation;
  store: SqliteEventStore;
  tasks: DaemonTasks;
  retained: number[];
  lines: string[];
  /** Hands every event recorded since the last call to the tasks, as the daemon does. */
  feed(): void;
}

function harness(t: { after(fn: () => void): void }): Harness {
  const dir = tempDataDir(t);
  const store = closeAtCleanup(dir, SqliteEventStore.open(dir));
  const sim = createSimulation({
    seed: 5,
    nodes: 6,
    checkEveryStep: false,
    storeFactory: (index): EventStore | undefined => (index === NODE ? store : undefined),
  });
  sim.bootstrapAll();
  sim.runFor(30_000);
  const retained: number[] = [];
  const lines: string[] = [];
  const log: DaemonLog = { info: (l) => lines.push(l), warn: (l) => lines.push(`warn: ${l}`) };
  const retain = (nowMs: number): Promise<RetentionResult> => {
    retained.push(nowMs);
    return Promise.resolve({ deletedRows: 0, anchorSeq: null, steps: 0 });
  };
  const tasks = startDaemonTasks(sim.node(NODE), store, log, { timers: sim.timers, retain });
  t.after(() => tasks.stop());
  let fed = 0;
  const feed = (): void => {
    for (const event of store.read({ afterSeq: fed })) {
      tasks.observe(event);
      fed = event.seq;
    }
  };
  return { sim, store, tasks, retained, lines, feed };
}

test('a snapshot is taken 10 minutes after the first unsnapshotted event, then retention', (t) => {
  const h = harness(t);
  const started = h.sim.timers.now();
  h.feed();
  assert.ok(h.store.lastSeq > 0 && h.store.lastSeq < SNAPSHOT_EVERY_EVENTS);
  h.sim.runFor(SNAPSHOT_EVERY_MS - MINUTE_MS);
  assert.equal(h.store.latestSnapshot(), null, 'not before 10 minutes');
  assert.deepEqual(h.retained, []);
  h.sim.runFor(MINUTE_MS);
  const snapshot = h.store.latestSnapshot();
  assert.ok(snapshot !== null, 'a snapshot at 10 minutes');
  assert.equal(h.retained.length, 1, 'retention runs once, behind the new snapshot');
  assert.equal(h.retained[0], started + SNAPSHOT_EVERY_MS);
  assert.equal(snapshot.at, started + SNAPSHOT_EVERY_MS);
});

test('an idle node takes no further snapshot and runs no retention', (t) => {
  const h = harness(t);
  h.feed();
  h.sim.runFor(SNAPSHOT_EVERY_MS);
  const first = h.store.latestSnapshot();
  assert.ok(first !== null);
  // The snapshot_written event alone is not new history.
  h.feed();
  h.sim.runFor(5 * SNAPSHOT_EVERY_MS);
  assert.equal(h.store.latestSnapshot()?.seq, first.seq);
  assert.equal(h.retained.length, 1);
});

test('10,000 events since the last snapshot take one at once, not after 10 minutes', (t) => {
  const h = harness(t);
  h.feed();
  const last = [...h.store.read({ afterSeq: h.store.lastSeq - 1 })][0]!;
  const busy: StoredEvent = { ...last, seq: SNAPSHOT_EVERY_EVENTS };
  h.tasks.observe(busy);
  h.tasks.observe({ ...busy, seq: SNAPSHOT_EVERY_EVENTS + 1 }); // queued once
  h.sim.runFor(1);
  assert.equal(h.store.latestSnapshot()?.seq, h.store.lastSeq - 1, 'all but its own event');
  assert.equal(h.retained.length, 1);
});

test('the summary line is written for a minute with events, and not for an empty one', (t) => {
  const h = harness(t);
  h.feed();
  const seq = h.store.lastSeq;
  h.sim.runFor(MINUTE_MS);
  assert.equal(h.store.lastSeq, seq, 'nothing recorded in this minute');
  assert.deepEqual(h.lines, [], 'an empty minute writes no line');
  h.sim.node(NODE).bootstrap([h.sim.seedOf(0)], () => undefined);
  h.sim.runFor(MINUTE_MS);
  assert.ok(h.store.lastSeq > seq, 'the bootstrap recorded events');
  assert.equal(h.lines.length, 1);
  assert.match(
    h.lines[0]!,
    new RegExp(`last minute: .* ${h.store.lastSeq - seq} events \\(seq ${h.store.lastSeq}\\)`),
  );
});

test('the heap is offered back after a quiet minute, not after a busy one', (t) => {
  const dir = tempDataDir(t);
  const store = closeAtCleanup(dir, SqliteEventStore.open(dir));
  const sim = createSimulation({
    seed: 5,
    nodes: 6,
    checkEveryStep: false,
    storeFactory: (index): EventStore | undefined => (index === NODE ? store : undefined),
  });
  const offered: number[] = [];
  const heap = { afterQuietMinute: (): boolean => offered.push(sim.timers.now()) > 0 };
  const log: DaemonLog = { info: () => {}, warn: () => {} };
  const tasks = startDaemonTasks(sim.node(NODE), store, log, { timers: sim.timers, heap });
  t.after(() => tasks.stop());
  const started = sim.timers.now();
  sim.bootstrapAll(); // hundreds of events in the first minute
  sim.runFor(MINUTE_MS);
  assert.ok(store.lastSeq > QUIET_MINUTE_EVENTS);
  assert.deepEqual(offered, [], 'the busy minute');
  sim.runFor(MINUTE_MS);
  assert.deepEqual(offered, [started + 2 * MINUTE_MS], 'the quiet minute after it');
});
