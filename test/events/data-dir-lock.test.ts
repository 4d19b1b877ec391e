import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { acquireDataDirLock, LOCK_FILE } from '../../src/events/data-dir-lock.js';
import { tempDataDir } from './store-fixtures.js';

test('the lock holds our pid, refuses a second taker, and is released', (t) => {
  const dir = tempDataDir(t);
  const lock = acquireDataDirLock(dir);
  assert.equal(readFileSync(join(dir, LOCK_FILE), 'utf8'), `${process.pid}\n`);
  assert.throws(() => acquireDataDirLock(dir), { code: 'data_dir_locked' });
  lock.release();
  assert.ok(!existsSync(join(dir, LOCK_FILE)));
  acquireDataDirLock(dir).release();
});

test('a lock left by a dead process is stale and taken over', (t) => {
  const dir = tempDataDir(t);
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  writeFileSync(join(dir, LOCK_FILE), `${dead.stdout.toString()}\n`);
  const lock = acquireDataDirLock(dir);
  assert.equal(readFileSync(join(dir, LOCK_FILE), 'utf8'), `${process.pid}\n`);
  lock.release();
});
