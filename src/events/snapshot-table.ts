import type Database from 'better-sqlite3';
import { writeCheckpointFile } from './checkpoint.js';
import { JournalUnavailableError, type SnapshotRecord } from './event-store.js';

/**
 * The `snapshots` table as the inline store reads and writes it (the writer thread has its own
 * copy of these statements in journal-worker-source.ts). Saving is the one FULL commit: a
 * snapshot is the point a later loss is detected against.
 */

export function readLatestSnapshot(db: Database.Database): SnapshotRecord | null {
  const row = db
    .prepare(
      'SELECT seq, hash, at, version, state, signature FROM snapshots ORDER BY seq DESC LIMIT 1',
    )
    .get() as SnapshotRecord | undefined;
  return row ?? null;
}

/**
 * Stores the snapshot and keeps the latest `keep`, fsynced, then mirrors it to
 * events.checkpoint. The events it covers must be committed already.
 */
export function saveSnapshotDurably(
  db: Database.Database,
  dataDir: string,
  snapshot: SnapshotRecord,
  keep: number,
): void {
  try {
    db.pragma('synchronous = FULL');
    db.transaction(() => {
      db.prepare(
        `INSERT OR REPLACE INTO snapshots (seq, hash, at, version, state, signature)
             VALUES (@seq, @hash, @at, @version, @state, @signature)`,
      ).run(snapshot);
      db.prepare(
        'DELETE FROM snapshots WHERE seq NOT IN (SELECT seq FROM snapshots ORDER BY seq DESC LIMIT ?)',
      ).run(keep);
    })();
  } catch (error) {
    throw new JournalUnavailableError(`snapshot not saved: ${(error as Error).message}`);
  } finally {
    db.pragma('synchronous = NORMAL');
  }
  const { seq, hash, signature } = snapshot;
  writeCheckpointFile(dataDir, { seq, hash, signature });
}
