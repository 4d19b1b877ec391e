import type { Timers } from '../core/clock.js';
import type { DhtNode } from '../dht/dht-node.js';
import type { SqliteEventStore } from '../events/sqlite-event-store.js';
import { applyRetention, type RetentionResult } from '../events/retention.js';
import type { StoredEvent } from '../events/event-types.js';
import { realTimers } from '../net/real-timers.js';
import type { DaemonLog } from './daemon-log.js';
import { startSummary } from './daemon-summary.js';
import type { HeapRelease } from './heap-release.js';
import { scheduleSnapshots } from './snapshot-schedule.js';

/**
 * The daemon's own timers: snapshots with retention behind them (snapshot-schedule.ts) and a
 * summary line every minute that something happened (daemon-summary.ts). Idle is idle
 * (issue 12): no timer polls.
 */

export { SNAPSHOT_EVERY_EVENTS, SNAPSHOT_EVERY_MS } from './snapshot-schedule.js';
export { QUIET_MINUTE_EVENTS, SUMMARY_EVERY_MS } from './daemon-summary.js';

export interface DaemonTasks {
  /** Counts events for the summary and snapshots; the daemon calls it for every recorded event. */
  observe(event: StoredEvent): void;
  /** A snapshot now (clean stop); false if the journal could not take it. */
  snapshotNow(): boolean;
  stop(): void;
}

export interface DaemonTaskOptions {
  timers?: Timers;
  /** Retention behind a new snapshot (default: applyRetention on the store's connection). */
  retain?: (nowMs: number) => Promise<RetentionResult>;
  /** Memory back after a burst (default: heapRelease(); null: never). */
  heap?: HeapRelease | null;
}

export function startDaemonTasks(
  node: DhtNode,
  sqlite: SqliteEventStore,
  log: DaemonLog,
  options: DaemonTaskOptions = {},
): DaemonTasks {
  const timers = options.timers ?? realTimers;
  // After the writer thread has written the snapshot: retention deletes on the main
  // connection and would otherwise wait for the thread's lock.
  const retain =
    options.retain ??
    ((nowMs) => sqlite.settled().then(() => applyRetention(sqlite.db, { nowMs })));
  const snapshots = scheduleSnapshots(node, sqlite, log, timers, retain);
  const summary = startSummary(node, log, timers, options.heap);

  return {
    observe(event) {
      summary.observe(event);
      snapshots.observe(event);
    },
    snapshotNow: () => snapshots.snapshotNow(),
    stop() {
      snapshots.stop();
      summary.stop();
    },
  };
}
