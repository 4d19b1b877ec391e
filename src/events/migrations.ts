import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from 'better-sqlite3';
import { TesdError } from '../core/errors.js';

/**
 * Schema migrations (SPEC §5): the numbered SQL files of `migrations/`, applied in order, each
 * once, recorded in `schema_migrations` with a checksum so an edited released file is caught
 * instead of silently leaving databases with two different schemas under one version.
 */

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

const MIGRATION_FILE = /^(\d{4})_[a-z0-9_]+\.sql$/;

/**
 * The `migrations/` folder: found by walking up from this module to the folder holding
 * package.json, because the code runs both from `src/` (tsx) and from `dist/src/` (compiled).
 */
export function migrationsDir(from: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(from));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'migrations');
    const parent = dirname(dir);
    if (parent === dir) throw new TesdError('migrations_missing', 'no package.json above ' + from);
    dir = parent;
  }
}

export function loadMigrations(dir: string = migrationsDir()): Migration[] {
  const migrations = readdirSync(dir)
    .filter((file) => MIGRATION_FILE.test(file))
    .sort()
    .map((file) => {
      const sql = readFileSync(join(dir, file), 'utf8');
      return {
        version: Number(file.slice(0, 4)),
        name: file,
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    });
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new TesdError('migrations_gap', `migration ${m.name} should be number ${i + 1}`);
  });
  return migrations;
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

function appliedMigrations(db: Database): AppliedRow[] {
  return db
    .prepare('SELECT version, name, checksum FROM schema_migrations ORDER BY version')
    .all() as AppliedRow[];
}

/** Checks what is applied against the files; returns the ones still to apply. */
function pendingMigrations(applied: AppliedRow[], migrations: Migration[]): Migration[] {
  for (const row of applied) {
    const file = migrations[row.version - 1];
    if (file === undefined)
      throw new TesdError(
        'schema_too_new',
        `events.db has migration ${row.name}, unknown to this tesd: it was written by a newer version`,
      );
    if (file.checksum !== row.checksum)
      throw new TesdError(
        'migration_changed',
        `migration ${row.name} changed after it was applied: add a new migration instead`,
      );
  }
  return migrations.slice(applied.length);
}

/** Applies the pending migrations, each in its own transaction. Returns the versions applied. */
export function applyMigrations(db: Database, migrations = loadMigrations()): number[] {
  db.exec(
    `CREATE TABLE IF NOT EXISTS schema_migrations (
       version    INTEGER PRIMARY KEY,
       name       TEXT    NOT NULL,
       checksum   TEXT    NOT NULL,
       applied_at INTEGER NOT NULL
     )`,
  );
  const record = db.prepare(
    'INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)',
  );
  const pending = pendingMigrations(appliedMigrations(db), migrations);
  for (const m of pending) {
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, m.name, m.checksum, Date.now());
    })();
  }
  return pending.map((m) => m.version);
}

/** For read-only opens: the schema must be complete, since a reader cannot migrate it. */
export function checkMigrated(db: Database, migrations = loadMigrations()): void {
  const exists = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
    .get();
  const applied = exists === undefined ? [] : appliedMigrations(db);
  const pending = pendingMigrations(applied, migrations);
  if (pending.length > 0)
    throw new TesdError(
      'schema_outdated',
      `events.db lacks migration ${pending[0]!.name}: start the node once to upgrade it`,
    );
}
