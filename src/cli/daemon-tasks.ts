import type { TimerHandle, Timers } from '../core/clock.js';
import { shortId } from '../core/node-id.js';
import type { DhtNode } from '../dht/dht-node.js';
import { takeSnapshot } from '../dht/snapshots.js';
import type { SqliteEventStore } from '../events/sqlite-event-store.js';
import { applyRetention, type RetentionResult } from '../events/retention.js';
import type { StoredEvent } from '../events/event-types.js';
import { realTimers } from '../net/real-timers.js';
import type { DaemonLog } from './daemon-log.js';
import { heapRelease, type HeapRelease } from './heap-release.js';

/**
 * The daemon's own timers: snapshots (every 10,000 events, or 10 minutes after the first
 * event not in a snapshot, so a restart replays little), retention behind them (SPEC §5
 * "Bounded"), and a summary line every minute that something happened.
 *
 * Idle is idle (issue 12): no timer polls. A snapshot is due either by count, noticed by
 * observe() as events are recorded, or by a one-shot timer armed by the first event after a
 * snapshot; a node that records nothing has only the summary timer, which does nothing when
 * the minute was empty, but for one garbage collection after a burst (heap-release.ts).
 */

export const SNAPSHOT_EVERY_EVENTS = 10_000;
export const SNAPSHOT_EVERY_MS = 10 * 60_000;
export const SUMMARY_EVERY_MS = 60_000;
/** A minute with no more events than this is quiet: the heap a burst grew is collected then. */
export const QUIET_MINUTE_EVENTS = 60;

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
  let lastSnapshotSeq = sqlite.latestSnapshot()?.seq ?? 0;
  let snapshotTimer: TimerHandle | null = null;
  let snapshotQueued = false;
  let retentionRunning = false;
  let stopped = false;
  const counts = { sent: 0, received: 0, failed: 0, lookups: 0 };
  let summarySeq = node.store.lastSeq;
  const heap = options.heap === undefined ? heapRelease() : options.heap;

  const reportSnapshotError = (): void => {
    if (sqlite.lastSnapshotError === null) return;
    log.warn(`snapshot not written: ${sqlite.lastSnapshotError}`);
    sqlite.lastSnapshotError = null;
  };

  const snapshotNow = (): boolean => {
    reportSnapshotError();
    if (node.store.lastSeq <= lastSnapshotSeq) return true;
    try {
      const snapshot = takeSnapshot(node);
      if (snapshot === null) return false;
      lastSnapshotSeq = snapshot.seq;
      return true;
    } catch (error) {
      log.warn(`snapshot not written: ${(error as Error).message}`);
      return false;
    }
  };

  const retention = (): void => {
    if (retentionRunning) return;
    retentionRunning = true;
    retain(timers.now())
      .then((result) => {
        if (result.deletedRows > 0)
          log.info(
            `retention: deleted ${result.deletedRows} old events (up to seq ${result.anchorSeq})`,
          );
      })
      .catch((error: unknown) => log.warn(`retention failed: ${(error as Error).message}`))
      .finally(() => {
        retentionRunning = false;
      });
  };

  const snapshotCycle = (): void => {
    snapshotQueued = false;
    snapshotTimer?.cancel();
    snapshotTimer = null;
    if (stopped) return;
    if (snapshotNow()) retention();
    // Paused journal: try again at the next interval if events are still unsnapshotted.
    else armSnapshotTimer();
  };

  const armSnapshotTimer = (): void => {
    if (snapshotTimer === null && !stopped)
      snapshotTimer = timers.setTimer(SNAPSHOT_EVERY_MS, snapshotCycle);
  };

  let summaryTimer: TimerHandle | null = null;
  const summary = (): void => {
    const { state } = node;
    const seq = node.store.lastSeq;
    // An empty minute says nothing: no line, no string built.
    if (seq !== summarySeq || node.journalPaused)
      log.info(
        `${shortId(node.idHex)}: ${state.routing.byId.size} peers, ${state.pointers.size} pointers; ` +
          `last minute: ${counts.sent} RPCs sent (${counts.failed} failed), ${counts.received} received, ` +
          `${counts.lookups} lookups, ${seq - summarySeq} events (seq ${seq})` +
          (node.journalPaused ? '; JOURNAL PAUSED' : ''),
      );
    if (seq - summarySeq <= QUIET_MINUTE_EVENTS) heap?.afterQuietMinute();
    summarySeq = seq;
    counts.sent = counts.received = counts.failed = counts.lookups = 0;
    summaryTimer = timers.setTimer(SUMMARY_EVERY_MS, summary);
  };
  summaryTimer = timers.setTimer(SUMMARY_EVERY_MS, summary);

  return {
    observe(event) {
      if (event.type === 'rpc_completed') {
        counts.sent++;
        if (event.data.outcome !== 'ok') counts.failed++;
      } else if (event.type === 'rpc_received') counts.received++;
      else if (event.type === 'lookup_finished') counts.lookups++;
      if (event.type === 'snapshot_written' || stopped) return;
      if (event.seq - lastSnapshotSeq >= SNAPSHOT_EVERY_EVENTS) {
        // Not inside the engine's record(): the snapshot runs once the current work is done.
        if (!snapshotQueued) {
          snapshotQueued = true;
          timers.setTimer(0, snapshotCycle);
        }
      } else armSnapshotTimer();
    },
    snapshotNow,
    stop() {
      stopped = true;
      snapshotTimer?.cancel();
      summaryTimer?.cancel();
    },
  };
}
