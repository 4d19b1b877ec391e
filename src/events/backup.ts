import { existsSync } from 'node:fs';
import { TesdError } from '../core/errors.js';
import { SqliteEventStore } from './sqlite-event-store.js';

/**
 * `tesd backup` (SPEC §6): an online copy of events.db through SQLite's backup API, page by
 * page, so it works while the node runs and yields between steps. The copy is a complete,
 * consistent database (no WAL) that `tesd verify` accepts. Never writes to the data dir.
 */

export interface BackupResult {
  totalPages: number;
}

export interface BackupOptions {
  /** Pages copied per step (default 1,024: 4 MiB, a few ms). */
  pagesPerStep?: number;
}

export async function backupEventLog(
  dataDir: string,
  outPath: string,
  options: BackupOptions = {},
): Promise<BackupResult> {
  if (existsSync(outPath))
    throw new TesdError('backup_exists', `${outPath} exists: choose a new file for the backup`);
  const store = SqliteEventStore.openReadOnly(dataDir);
  try {
    const pages = options.pagesPerStep ?? 1_024;
    const metadata = await store.db.backup(outPath, { progress: () => pages });
    return { totalPages: metadata.totalPages };
  } catch (error) {
    throw new TesdError(
      'backup_failed',
      `backup to ${outPath} failed: ${(error as Error).message}`,
    );
  } finally {
    store.close();
  }
}
