import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { writeCheckpointFile } from './checkpoint.js';
import { acquireDataDirLock } from './data-dir-lock.js';
import { readAnchor, readRetiredKeys, writeAnchor, writeRetiredKeys } from './log-meta.js';
import { applyMigrations } from './migrations.js';
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
  const page = from.prepare(
    'SELECT seq, at, type, peer, key, lookup, data, hash FROM events WHERE seq > ? AND seq < ? ORDER BY seq LIMIT ?',
  );
  const counts: CopyCounts = { kept: 0, lastKeptSeq: anchor.seq, snapshots: 0 };
  to.transaction(() => {
    if (anchor.seq > 0) writeAnchor(to, anchor);
    writeRetiredKeys(to, readRetiredKeys(from));
    for (;;) {
      const rows = page.all(counts.lastKeptSeq, limit, PAGE_ROWS) as Array<{ seq: number }>;
      for (const row of rows) insert.run(row);
      counts.kept += rows.length;
      if (rows.length > 0) counts.lastKeptSeq = rows[rows.length - 1]!.seq;
      if (rows.length < PAGE_ROWS) break;
    }
    const snapshots = from
      .prepare('SELECT * FROM snapshots WHERE seq <= ? ORDER BY seq')
      .all(counts.lastKeptSeq) as Array<{ seq: number }>;
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

function countRows(db: Database.Database): { count: number; maxSeq: number | null } {
  try {
    const row = db.prepare('SELECT count(*) AS count, max(seq) AS maxSeq FROM events').get() as {
      count: number;
      maxSeq: number | null;
    };
    return row;
  } catch {
    return { count: 0, maxSeq: null };
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
        droppedFromSeq: null,
        droppedToSeq: null,
        droppedSnapshots: 0,
        brokenFile: null,
      };
    const newPath = `${path}.repair`;
    for (const ext of DB_FILES) rmSync(newPath + ext, { force: true });
    const old = new Database(path, { readonly: true, fileMustExist: true });
    const fresh = new Database(newPath);
    let counts: CopyCounts;
    let before: { count: number; maxSeq: number | null };
    let snapshotsBefore = 0;
    try {
      fresh.pragma('journal_mode = WAL');
      applyMigrations(fresh);
      before = countRows(old);
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
      droppedFromSeq: dropped > 0 ? counts.lastKeptSeq + 1 : null,
      droppedToSeq: dropped > 0 ? before.maxSeq : null,
      droppedSnapshots: Math.max(0, snapshotsBefore - counts.snapshots),
      brokenFile: `${path}.${suffix}`,
    };
  } finally {
    lock?.release();
  }
}
