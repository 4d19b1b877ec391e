import { shortId } from '../core/node-id.js';
import type { DhtNode } from '../dht/dht-node.js';
import { takeSnapshot } from '../dht/snapshots.js';
import type { SqliteEventStore } from '../events/sqlite-event-store.js';
import { applyRetention } from '../events/retention.js';
import type { StoredEvent } from '../events/event-types.js';
import type { DaemonLog } from './daemon-log.js';

/**
 * The daemon's own timers: snapshots (every 10,000 events or 10 minutes, so a restart replays
 * little), retention behind them (SPEC §5 "Bounded"), and a summary line every minute.
 */

const SNAPSHOT_EVERY_EVENTS = 10_000;
const SNAPSHOT_EVERY_MS = 10 * 60_000;
const SNAPSHOT_CHECK_MS = 10_000;
const SUMMARY_EVERY_MS = 60_000;

export interface DaemonTasks {
  /** Counts events for the summary; the daemon calls it for every recorded event. */
  observe(event: StoredEvent): void;
  /** A snapshot now (clean stop); false if the journal could not take it. */
  snapshotNow(): boolean;
  stop(): void;
}

export function startDaemonTasks(
  node: DhtNode,
  sqlite: SqliteEventStore,
  log: DaemonLog,
): DaemonTasks {
  let lastSnapshotSeq = sqlite.latestSnapshot()?.seq ?? 0;
  let lastSnapshotAtMs = Date.now();
  let retentionRunning = false;
  const counts = { sent: 0, received: 0, failed: 0, lookups: 0 };
  let summarySeq = node.store.lastSeq;

  const snapshotNow = (): boolean => {
    if (node.store.lastSeq <= lastSnapshotSeq) return true;
    try {
      const snapshot = takeSnapshot(node);
      if (snapshot === null) return false;
      lastSnapshotSeq = snapshot.seq;
      lastSnapshotAtMs = Date.now();
      return true;
    } catch (error) {
      log.warn(`snapshot not written: ${(error as Error).message}`);
      return false;
    }
  };

  const retention = (): void => {
    if (retentionRunning) return;
    retentionRunning = true;
    applyRetention(sqlite.db, { nowMs: Date.now() })
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

  const snapshotTimer = setInterval(() => {
    const due =
      node.store.lastSeq - lastSnapshotSeq >= SNAPSHOT_EVERY_EVENTS ||
      (Date.now() - lastSnapshotAtMs >= SNAPSHOT_EVERY_MS && node.store.lastSeq > lastSnapshotSeq);
    if (due && snapshotNow()) retention();
  }, SNAPSHOT_CHECK_MS).unref();

  const summaryTimer = setInterval(() => {
    const { state } = node;
    const seq = node.store.lastSeq;
    log.info(
      `${shortId(node.idHex)}: ${state.routing.byId.size} peers, ${state.pointers.size} pointers; ` +
        `last minute: ${counts.sent} RPCs sent (${counts.failed} failed), ${counts.received} received, ` +
        `${counts.lookups} lookups, ${seq - summarySeq} events (seq ${seq})` +
        (node.journalPaused ? '; JOURNAL PAUSED' : ''),
    );
    summarySeq = seq;
    counts.sent = counts.received = counts.failed = counts.lookups = 0;
  }, SUMMARY_EVERY_MS).unref();

  return {
    observe(event) {
      if (event.type === 'rpc_completed') {
        counts.sent++;
        if (event.data.outcome !== 'ok') counts.failed++;
      } else if (event.type === 'rpc_received') counts.received++;
      else if (event.type === 'lookup_finished') counts.lookups++;
    },
    snapshotNow,
    stop() {
      clearInterval(snapshotTimer);
      clearInterval(summaryTimer);
    },
  };
}
