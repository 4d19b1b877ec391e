import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { backupEventLog } from '../../src/events/backup.js';
import { SqliteEventStore } from '../../src/events/sqlite-event-store.js';
import { verifyLog } from '../../src/events/verify-log.js';
import { startLogWriter } from '../support/log-writer.js';
import { mixedEvents, nodePk, nodeStarted, snapshotAt, tempDataDir } from './store-fixtures.js';

/** seq -> hash of every row of the events table in `file`. */
function rowHashes(file: string): Map<number, string> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT seq, hash FROM events ORDER BY seq').all() as Array<{
      seq: number;
      hash: string;
    }>;
    return new Map(rows.map((r) => [r.seq, r.hash]));
  } finally {
    db.close();
  }
}

test('an online backup while the node writes is a consistent prefix of the log that verifies', async (t) => {
  const dir = tempDataDir(t);
  const out = tempDataDir(t);
  const seeded = SqliteEventStore.open(dir);
  seeded.append(nodeStarted(1_700_000_000_000));
  mixedEvents(3_000).forEach((e) => seeded.append(e));
  seeded.saveSnapshot(snapshotAt(seeded));
  seeded.close();

  // Another process journals, as a running node does, during the whole backup.
  const writer = await startLogWriter(t, dir, { burst: 20, pauseMs: 2 });
  const before = await writer.waitForCommitted(3_101);
  const result = await backupEventLog(dir, join(out, 'events.db'), { pagesPerStep: 8 });
  const whenDone = writer.committed;
  // On a quiet machine the copy can finish between two of the writer's commit reports, so
  // "while it writes" is proven by the writer committing on both sides of the copy, never stopped.
  const after = await writer.waitForCommitted(whenDone + 1);
  const last = await writer.stop();

  assert.ok(result.totalPages > 8, `${result.totalPages} pages: copied in several steps`);
  assert.ok(after > whenDone && whenDone >= before, 'the writer committed before, during, after');
  const report = verifyLog(out, { pk: nodePk });
  assert.ok(report.ok, report.problems.join('; '));
  const copied = rowHashes(join(out, 'events.db'));
  const source = rowHashes(join(dir, 'events.db'));
  assert.equal(report.checkedRows, copied.size);
  assert.ok(copied.size >= before, `the backup holds every row committed before it began`);
  assert.ok(copied.size <= last, `and no row the writer never committed`);
  for (let seq = 1; seq <= copied.size; seq++)
    assert.equal(copied.get(seq), source.get(seq), `backup row ${seq} is the log's row ${seq}`);
  t.diagnostic(
    `backup holds seq 1..${copied.size}; writer went ${before} -> ${whenDone} during it, ${last} at its stop`,
  );

  await assert.rejects(backupEventLog(dir, join(out, 'events.db')), { code: 'backup_exists' });
});
