import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { readCheckpointFile, writeCheckpointFile } from './checkpoint.js';
import { acquireDataDirLock } from './data-dir-lock.js';
import { readAnchor, readRetiredKeys, writeAnchor, writeRetiredKeys } from './log-meta.js';
import { applyMigrations } from './migrations.js';
import { DamagedRowReader, openDamaged, storedEventsTable } from './damaged-rows.js';
import { verifyLog, type VerifyOptions, type VerifyReport } from './verify-log.js';

/**
 * `tesd run --repair` (SPEC §5): keep the longest valid prefix of the log and say what was
 * dropped. The kept rows are copied into a fresh database, so this works even when the file
 * itself is damaged (a bad page cannot be deleted reliably, only left behind); the old file
 * is kept next to it as events.db.broken-<time> for inspection.
 */

export interface RepairResult {
  /** The verification that decided what to keep. */
  report: VerifyReport;
  keptRows: number;
  droppedRows: number;
  /** False when the damage hid the end of the log: droppedRows is then a lower bound. */
  droppedRowsExact: boolean;
  /** The dropped seq range (inclusive), if any row was dropped. */
  droppedFromSeq: number | null;
  droppedToSeq: number | null;
  droppedSnapshots: number;
  /** Where the old file went, or null if nothing needed repair. */
  brokenFile: string | null;
}

export interface RepairOptions extends VerifyOptions {
  /** Take the data directory lock (default true; false when the caller holds it). */
  lock?: boolean;
  /** Clock for the broken file's name. */
  nowMs?: number;
}

const PAGE_ROWS = 2_000;
const DB_FILES = ['', '-wal', '-shm'];

interface CopyCounts {
  kept: number;
  lastKeptSeq: number;
  snapshots: number;
}

function copyValidPrefix(
  from: Database.Database,
  to: Database.Database,
  report: VerifyReport,
): CopyCounts {
  const limit = report.firstBadSeq ?? Number.MAX_SAFE_INTEGER;
  const anchor = readAnchor(from);
  const insert = to.prepare(
    'INSERT INTO events (seq, at, type, peer, key, lookup, data, hash) VALUES (@seq, @at, @type, @peer, @key, @lookup, @data, @hash)',
  );
  const reader = new DamagedRowReader(from, PAGE_ROWS);
  const counts: CopyCounts = { kept: 0, lastKeptSeq: anchor.seq, snapshots: 0 };
  to.transaction(() => {
    if (anchor.seq > 0) writeAnchor(to, anchor);
    writeRetiredKeys(to, readRetiredKeys(from));
    // Verification read the same rows the same way and stopped at the first unreadable one,
    // so every row before firstBadSeq reads back here.
    for (const row of reader.rows(anchor.seq, limit)) {
      insert.run(row);
      counts.kept++;
      counts.lastKeptSeq = row.seq;
    }
    let snapshots: Array<{ seq: number }> = [];
    try {
      snapshots = from
        .prepare('SELECT * FROM snapshots WHERE seq <= ? ORDER BY seq')
        .all(counts.lastKeptSeq) as Array<{ seq: number }>;
    } catch {
      // Unreadable snapshots cost a longer restart (a replay from the events), nothing more.
    }
    const insertSnapshot = to.prepare(
      'INSERT INTO snapshots (seq, hash, at, version, state, signature) VALUES (@seq, @hash, @at, @version, @state, @signature)',
    );
    for (const s of snapshots) {
      if (report.badSnapshotSeqs.includes(s.seq)) continue;
      insertSnapshot.run(s);
      counts.snapshots++;
    }
  })();
  return counts;
}

interface RowCount {
  count: number;
  maxSeq: number | null;
  /** False when the damage hides the end of the log: the count is then a lower bound. */
  exact: boolean;
}

/**
 * How many rows the old file has. On a damaged file count(*) can fail; then the highest seq
 * known to have existed (the unreadable row, the newest checkpoint) bounds it from below, and
 * seq is gap-free, so rows before it are counted.
 */
function countRows(
  db: Database.Database,
  report: VerifyReport,
  checkpointSeq: number | null,
): RowCount {
  try {
    // The stored table, not the view (migration 0002): counting it reads only its type index,
    // so a damaged table page does not hide how many rows there were.
    const table = storedEventsTable(db);
    const row = db.prepare(`SELECT count(*) AS count, max(seq) AS maxSeq FROM ${table}`).get() as {
      count: number;
      maxSeq: number | null;
    };
    return { ...row, exact: true };
  } catch {
    let anchorSeq = 0;
    try {
      anchorSeq = readAnchor(db).seq;
    } catch {
      // no readable anchor: count from genesis
    }
    const known = Math.max(report.firstBadSeq ?? 0, checkpointSeq ?? 0);
    return known > anchorSeq
      ? { count: known - anchorSeq, maxSeq: known, exact: false }
      : { count: 0, maxSeq: null, exact: false };
  }
}

function moveAside(path: string, suffix: string): void {
  for (const ext of DB_FILES)
    if (existsSync(path + ext)) renameSync(path + ext, `${path}.${suffix}${ext}`);
}

export function repairLog(dataDir: string, options: RepairOptions = {}): RepairResult {
  const lock = options.lock === false ? null : acquireDataDirLock(dataDir);
  try {
    const path = join(dataDir, 'events.db');
    const report = verifyLog(dataDir, { ...options, dataDir });
    if (report.ok)
      return {
        report,
        keptRows: report.checkedRows,
        droppedRows: 0,
        droppedRowsExact: true,
        droppedFromSeq: null,
        droppedToSeq: null,
        droppedSnapshots: 0,
        brokenFile: null,
      };
    const newPath = `${path}.repair`;
    for (const ext of DB_FILES) rmSync(newPath + ext, { force: true });
    const old = openDamaged(path);
    const fresh = new Database(newPath);
    let counts: CopyCounts;
    let before: RowCount;
    let snapshotsBefore = 0;
    try {
      fresh.pragma('journal_mode = WAL');
      applyMigrations(fresh);
      before = countRows(old, report, readCheckpointFile(dataDir)?.seq ?? null);
      try {
        snapshotsBefore = (
          old.prepare('SELECT count(*) AS n FROM snapshots').get() as { n: number }
        ).n;
      } catch {
        snapshotsBefore = 0;
      }
      try {
        counts = copyValidPrefix(old, fresh, report);
      } catch {
        // The file is too damaged to read even the prefix: keep nothing but the old file.
        counts = { kept: 0, lastKeptSeq: 0, snapshots: 0 };
      }
      const latest = fresh
        .prepare('SELECT seq, hash, signature FROM snapshots ORDER BY seq DESC LIMIT 1')
        .get() as { seq: number; hash: string; signature: string } | undefined;
      writeCheckpointFile(dataDir, latest ?? null);
    } finally {
      old.close();
      fresh.close();
    }
    const suffix = `broken-${options.nowMs ?? Date.now()}`;
    moveAside(path, suffix);
    renameSync(newPath, path);
    const dropped = Math.max(0, before.count - counts.kept);
    return {
      report,
      keptRows: counts.kept,
      droppedRows: dropped,
      droppedRowsExact: before.exact,
      droppedFromSeq: dropped > 0 ? counts.lastKeptSeq + 1 : null,
      droppedToSeq: dropped > 0 ? before.maxSeq : null,
      droppedSnapshots: Math.max(0, snapshotsBefore - counts.snapshots),
      brokenFile: `${path}.${suffix}`,
    };
  } finally {
    lock?.release();
  }
}
