import assert from 'node:assert/strict';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { applyMigrations, loadMigrations, migrationsDir } from '../../src/events/migrations.js';
import { tempDataDir, closeAtCleanup } from './store-fixtures.js';

test('migrations/ is found from src/ and from dist/src/', () => {
  const root = migrationsDir();
  assert.match(root, /migrations$/);
  const compiled = new URL('../../dist/src/events/migrations.js', import.meta.url).href;
  assert.equal(migrationsDir(compiled), root);
});

test('an applied migration edited afterwards is refused, a new one is applied', (t) => {
  const dir = tempDataDir(t);
  cpSync(migrationsDir(), join(dir, 'migrations'), { recursive: true });
  const db = new Database(join(dir, 'events.db'));
  closeAtCleanup(dir, db);
  const shipped = loadMigrations().map((m) => m.version);
  assert.deepEqual(applyMigrations(db, loadMigrations(join(dir, 'migrations'))), shipped);
  const next = String(shipped.length + 1).padStart(4, '0');
  writeFileSync(join(dir, 'migrations', `${next}_more.sql`), 'CREATE TABLE more (x INTEGER);');
  assert.deepEqual(applyMigrations(db, loadMigrations(join(dir, 'migrations'))), [
    shipped.length + 1,
  ]);
  assert.deepEqual(applyMigrations(db, loadMigrations(join(dir, 'migrations'))), []);
  writeFileSync(join(dir, 'migrations', '0001_events.sql'), '-- edited');
  assert.throws(() => applyMigrations(db, loadMigrations(join(dir, 'migrations'))), {
    code: 'migration_changed',
  });
});
