import type { Database } from 'better-sqlite3';
import { readRetiredKeys, writeAnchor, writeRetiredKeys } from './log-meta.js';

/**
 * Retention (SPEC §5): once the log passes its size cap or time window, delete a prefix that
 * lies behind the latest snapshot, in small chunks with a yield to the event loop between
 * them, recording the seq and hash of the last deleted row (the retention anchor). Seqs are
 * never reused: the store continues from the tail, or from the anchor if the table is empty.
 *
 * Deleted pages go to SQLite's freelist and are reused by later appends; the file is not
 * vacuumed, so it stops growing at about the cap instead of being rewritten (an SD card wears
 * out by the bytes written).
 */

export interface RetentionPolicy {
  /** Size cap of the live pages of events.db. */
  maxBytes: number;
  /** Events older than this (by `at`) are deleted. */
  maxAgeMs: number;
  /** Rows deleted per step; between steps the event loop runs. */
  chunkRows: number;
  /** Once over the cap, delete down to this fraction of it, so retention runs now and then. */
  targetFraction: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = {
  maxBytes: 1024 ** 3, // 1 GiB: months of a busy node, a small part of a 16 GB SD card
  maxAgeMs: 30 * 24 * 3600 * 1000, // 30 days: enough to look back at last month's behaviour
  chunkRows: 500, // a few ms per step with four indexes; a step must never stall the node (SPEC §5)
  targetFraction: 0.9,
};

export interface RetentionResult {
  deletedRows: number;
  /** The new anchor, if rows were deleted. */
  anchorSeq: number | null;
  steps: number;
}

export interface RetentionOptions {
  nowMs: number;
  policy?: Partial<RetentionPolicy>;
  /** Runs between steps (default: setImmediate), so other work is not stalled. */
  yieldToLoop?: () => Promise<void>;
}

const yieldImmediate = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function usedBytes(db: Database): number {
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const pages = db.pragma('page_count', { simple: true }) as number;
  const free = db.pragma('freelist_count', { simple: true }) as number;
  return (pages - free) * pageSize;
}

/** The last seq with `at` before `cutoffMs`, by binary search (at grows with seq). */
function lastSeqBefore(db: Database, first: number, last: number, cutoffMs: number): number {
  const atOf = db.prepare('SELECT at FROM events WHERE seq = ?').pluck();
  let low = first - 1; // invariant: rows up to low are older than the cutoff
  let high = last;
  while (low < high) {
    const mid = Math.floor((low + high + 1) / 2); // above low, so the loop progresses
    const at = atOf.get(mid) as number | undefined;
    if (at !== undefined && at < cutoffMs) low = mid;
    else high = mid - 1;
  }
  return low;
}

/** The last seq retention would delete now (behind the latest snapshot), or null. */
export function retentionCut(db: Database, nowMs: number, policy: RetentionPolicy): number | null {
  const snapshot = db.prepare('SELECT max(seq) FROM snapshots').pluck().get() as number | null;
  const first = db.prepare('SELECT min(seq) FROM events').pluck().get() as number | null;
  if (snapshot === null || first === null || first >= snapshot) return null;
  const limit = snapshot - 1; // the snapshot's own row stays, so the tail verifies from it
  let cut = lastSeqBefore(db, first, limit, nowMs - policy.maxAgeMs);
  const used = usedBytes(db);
  if (used > policy.maxBytes) {
    const last = db.prepare('SELECT max(seq) FROM events').pluck().get() as number;
    const bytesPerRow = used / (last - first + 1);
    const excessRows = Math.ceil((used - policy.maxBytes * policy.targetFraction) / bytesPerRow);
    cut = Math.max(cut, first - 1 + excessRows);
  }
  cut = Math.min(cut, limit);
  return cut >= first ? cut : null;
}

/** Deletes rows up to `endSeq` (inclusive) from the start, as one step. */
function deleteStep(db: Database, endSeq: number): void {
  db.transaction(() => {
    const last = db
      .prepare('SELECT seq, hash FROM events WHERE seq <= ? ORDER BY seq DESC LIMIT 1')
      .get(endSeq) as { seq: number; hash: string } | undefined;
    if (last === undefined) return;
    const started = db
      .prepare("SELECT data FROM events WHERE type = 'node_started' AND seq <= ?")
      .pluck()
      .all(endSeq) as string[];
    if (started.length > 0) {
      const keys = new Set(readRetiredKeys(db));
      for (const data of started) keys.add((JSON.parse(data) as { pk: string }).pk);
      writeRetiredKeys(db, [...keys]);
    }
    // From the stored rows (migration 0002), not through the view, whose delete trigger would
    // decode each row first; event_rows_release drops the peer IDs and keys no row names now.
    db.prepare('DELETE FROM event_rows WHERE seq <= ?').run(endSeq);
    // A snapshot whose following events are partly gone cannot rebuild anything any more.
    db.prepare('DELETE FROM snapshots WHERE seq <= ?').run(endSeq);
    writeAnchor(db, last);
  })();
}

/** Applies the policy now; resolves when done. Safe to run while the store appends. */
export async function applyRetention(
  db: Database,
  options: RetentionOptions,
): Promise<RetentionResult> {
  const policy = { ...DEFAULT_RETENTION, ...options.policy };
  const yieldToLoop = options.yieldToLoop ?? yieldImmediate;
  const cut = retentionCut(db, options.nowMs, policy);
  const result: RetentionResult = { deletedRows: 0, anchorSeq: null, steps: 0 };
  if (cut === null) return result;
  let first = db.prepare('SELECT min(seq) FROM events').pluck().get() as number;
  while (first <= cut) {
    const end = Math.min(first + policy.chunkRows - 1, cut);
    deleteStep(db, end);
    result.deletedRows += end - first + 1;
    result.anchorSeq = end;
    result.steps++;
    first = end + 1;
    if (first <= cut) await yieldToLoop();
  }
  return result;
}
