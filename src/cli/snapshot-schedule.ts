import type { TimerHandle, Timers } from '../core/clock.js';
import type { DhtNode } from '../dht/dht-node.js';
import { takeSnapshot } from '../dht/snapshots.js';
import type { SqliteEventStore } from '../events/sqlite-event-store.js';
import type { RetentionResult } from '../events/retention.js';
import type { StoredEvent } from '../events/event-types.js';
import type { DaemonLog } from './daemon-log.js';

/**
 * When the daemon writes snapshots: every 10,000 events, or 10 minutes after the first event
 * not in a snapshot, so a restart replays little; retention runs behind each one (SPEC §5
 * "Bounded").
 *
 * Idle is idle (issue 12): no timer polls. A snapshot is due either by count, noticed by
 * observe() as events are recorded, or by a one-shot timer armed by the first event after a
 * snapshot; a node that records nothing arms no timer here.
 */

export const SNAPSHOT_EVERY_EVENTS = 10_000;
export const SNAPSHOT_EVERY_MS = 10 * 60_000;

export interface SnapshotSchedule {
  /** Counts toward the next snapshot; called for every recorded event. */
  observe(event: StoredEvent): void;
  /** A snapshot now (clean stop); false if the journal could not take it. */
  snapshotNow(): boolean;
  stop(): void;
}

export function scheduleSnapshots(
  node: DhtNode,
  sqlite: SqliteEventStore,
  log: DaemonLog,
  timers: Timers,
  retain: (nowMs: number) => Promise<RetentionResult>,
): SnapshotSchedule {
  const writer = snapshotWriter(node, sqlite, log);
  const retention = retentionRunner(retain, timers, log);
  let timer: TimerHandle | null = null;
  let queued = false;
  let stopped = false;

  const cycle = (): void => {
    queued = false;
    timer?.cancel();
    timer = null;
    if (stopped) return;
    if (writer.write()) retention();
    // Paused journal: try again at the next interval if events are still unsnapshotted.
    else arm();
  };

  const arm = (): void => {
    if (timer === null && !stopped) timer = timers.setTimer(SNAPSHOT_EVERY_MS, cycle);
  };

  return {
    observe(event) {
      if (event.type === 'snapshot_written' || stopped) return;
      if (event.seq - writer.lastSeq() >= SNAPSHOT_EVERY_EVENTS) {
        // Not inside the engine's record(): the snapshot runs once the current work is done.
        if (!queued) {
          queued = true;
          timers.setTimer(0, cycle);
        }
      } else arm();
    },
    snapshotNow: () => writer.write(),
    stop() {
      stopped = true;
      timer?.cancel();
    },
  };
}

interface SnapshotWriter {
  /** The seq of the last snapshot written, or found in the store at start. */
  lastSeq(): number;
  /** A snapshot now if events are past the last one; false if the journal could not take it. */
  write(): boolean;
}

function snapshotWriter(node: DhtNode, sqlite: SqliteEventStore, log: DaemonLog): SnapshotWriter {
  let lastSeq = sqlite.latestSnapshot()?.seq ?? 0;

  // The writer thread writes snapshots in the background: its failure is only seen here.
  const reportWriterError = (): void => {
    if (sqlite.lastSnapshotError === null) return;
    log.warn(`snapshot not written: ${sqlite.lastSnapshotError}`);
    sqlite.lastSnapshotError = null;
  };

  const write = (): boolean => {
    reportWriterError();
    if (node.store.lastSeq <= lastSeq) return true;
    try {
      const snapshot = takeSnapshot(node);
      if (snapshot === null) return false;
      lastSeq = snapshot.seq;
      return true;
    } catch (error) {
      log.warn(`snapshot not written: ${(error as Error).message}`);
      return false;
    }
  };

  return { lastSeq: () => lastSeq, write };
}

/** Runs retention once at a time: a snapshot taken while it still runs starts no second run. */
function retentionRunner(
  retain: (nowMs: number) => Promise<RetentionResult>,
  timers: Timers,
  log: DaemonLog,
): () => void {
  let running = false;
  return () => {
    if (running) return;
    running = true;
    retain(timers.now())
      .then((result) => {
        if (result.deletedRows > 0)
          log.info(
            `retention: deleted ${result.deletedRows} old events (up to seq ${result.anchorSeq})`,
          );
      })
      .catch((error: unknown) => log.warn(`retention failed: ${(error as Error).message}`))
      .finally(() => {
        running = false;
      });
  };
}
