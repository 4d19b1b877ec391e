import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { backupEventLog } from '../../src/events/backup.js';
import { SqliteEventStore } from '../../src/events/sqlite-event-store.js';
import { verifyLog } from '../../src/events/verify-log.js';
import { mixedEvents, nodePk, nodeStarted, snapshotAt, tempDataDir } from './store-fixtures.js';

test('an online backup while the node writes is a complete log that verifies', async (t) => {
  const dir = tempDataDir(t);
  const out = tempDataDir(t);
  const store = SqliteEventStore.open(dir);
  t.after(() => store.close());
  store.append(nodeStarted(1_700_000_000_000));
  mixedEvents(3_000).forEach((e) => store.append(e));
  store.saveSnapshot(snapshotAt(store));
  const result = await backupEventLog(dir, join(out, 'events.db'), { pagesPerStep: 8 });
  assert.ok(result.totalPages > 8);
  const report = verifyLog(out, { pk: nodePk });
  assert.ok(report.ok, report.problems.join('; '));
  assert.equal(report.checkedRows, 3_001);
  await assert.rejects(backupEventLog(dir, join(out, 'events.db')), { code: 'backup_exists' });
});
