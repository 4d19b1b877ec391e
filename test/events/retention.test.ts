import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyRetention, retentionCut, DEFAULT_RETENTION } from '../../src/events/retention.js';
import { SqliteEventStore } from '../../src/events/sqlite-event-store.js';
import { verifyLog } from '../../src/events/verify-log.js';
import {
  mixedEvents,
  nodePk,
  nodeStarted,
  snapshotAt,
  tempDataDir,
  closeAtCleanup,
} from './store-fixtures.js';

const DAY_MS = 24 * 3600 * 1000;
const START_MS = 1_700_000_000_000;

test('the time window deletes the old prefix behind the snapshot, in chunks, and the chain still verifies', async (t) => {
  const dir = tempDataDir(t);
  const store = SqliteEventStore.open(dir);
  closeAtCleanup(dir, store);
  store.append(nodeStarted(START_MS));
  const old = mixedEvents(5_000, 1, START_MS); // 10 ms apart: 50 s of events
  old.forEach((e) => store.append(e));
  const recent = mixedEvents(1_000, 2, START_MS + 40 * DAY_MS);
  recent.slice(0, 500).forEach((e) => store.append(e));
  store.saveSnapshot(snapshotAt(store)); // at seq 5,501
  recent.slice(500).forEach((e) => store.append(e));
  store.flush();

  let yields = 0;
  const result = await applyRetention(store.db, {
    nowMs: START_MS + 45 * DAY_MS,
    policy: { chunkRows: 700 },
    yieldToLoop: () => {
      yields++;
      return Promise.resolve();
    },
  });
  assert.equal(result.deletedRows, 5_001, 'every event older than 30 days, node_started included');
  assert.equal(result.anchorSeq, 5_001);
  assert.equal(result.steps, Math.ceil(5_001 / 700));
  assert.equal(yields, result.steps - 1);
  assert.equal([...store.read({ limit: 1 })][0]!.seq, 5_002);
  const report = verifyLog(dir, { pk: nodePk });
  assert.ok(report.ok, report.problems.join('; '));
  assert.equal(report.checkedRows, 1_000);

  const again = await applyRetention(store.db, { nowMs: START_MS + 45 * DAY_MS });
  assert.equal(again.deletedRows, 0);
});

test('never deletes past the latest snapshot, and never reuses a seq', async (t) => {
  const dir = tempDataDir(t);
  let store = SqliteEventStore.open(dir);
  mixedEvents(300).forEach((e) => store.append(e));
  assert.equal(
    retentionCut(store.db, START_MS + 365 * DAY_MS, DEFAULT_RETENTION),
    null,
    'no snapshot yet',
  );
  store.saveSnapshot(snapshotAt(store));
  store.flush(); // the snapshot is written in the writer thread: retention reads it from the file
  await applyRetention(store.db, { nowMs: START_MS + 365 * DAY_MS });
  assert.deepEqual(
    [...store.read()].map((e) => e.seq),
    [300],
    'the snapshot row stays',
  );
  store.close();
  store = SqliteEventStore.open(dir);
  assert.equal(store.append(mixedEvents(1)[0]!).seq, 301);
  store.close();
});

test('the size cap deletes enough of the prefix to get under the target', async (t) => {
  const dir = tempDataDir(t);
  const store = SqliteEventStore.open(dir);
  closeAtCleanup(dir, store);
  mixedEvents(20_000).forEach((e) => store.append(e));
  store.saveSnapshot(snapshotAt(store));
  store.flush();
  const pageSize = store.db.pragma('page_size', { simple: true }) as number;
  const pages = store.db.pragma('page_count', { simple: true }) as number;
  const maxBytes = Math.floor((pages * pageSize) / 2);
  const result = await applyRetention(store.db, { nowMs: START_MS, policy: { maxBytes } });
  assert.ok(
    result.deletedRows >= 10_000 && result.deletedRows < 20_000,
    String(result.deletedRows),
  );
  const report = verifyLog(dir, { pk: nodePk });
  assert.ok(report.ok, report.problems.join('; '));
});
