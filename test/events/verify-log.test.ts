import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { signingKeyFromSecret } from '../../src/core/ed25519.js';
import { chainHash, type EventRow } from '../../src/events/hash-chain.js';
import { repairLog } from '../../src/events/repair-log.js';
import { SqliteEventStore } from '../../src/events/sqlite-event-store.js';
import { verifyLog } from '../../src/events/verify-log.js';
import { mixedEvents, nodePk, nodeStarted, snapshotAt, tempDataDir } from './store-fixtures.js';

const MARKER = 'MARKER-0123456789';

/** 250 events: node_started, a marked row at 150, snapshots at 100 and 200 (with their events). */
function buildLog(dir: string, keep?: (store: SqliteEventStore) => void): void {
  const store = SqliteEventStore.open(dir);
  const events = mixedEvents(300, 9);
  store.append(nodeStarted(1_700_000_000_000));
  let i = 0;
  const appendUntil = (seq: number): void => {
    while (store.lastSeq < seq) {
      if (store.lastSeq === 149)
        store.append({
          type: 'peer_failed',
          at: 1_700_000_001_000,
          peer: null,
          key: null,
          lookup: null,
          data: { id: 'bb'.repeat(32), addr: '10.0.0.1:1', failures: 1, error: MARKER },
        });
      else store.append(events[i++]!);
    }
  };
  const snapshot = (): void => {
    const s = snapshotAt(store);
    store.saveSnapshot(s);
    store.append({
      type: 'snapshot_written',
      at: s.at,
      peer: null,
      key: null,
      lookup: null,
      data: { seq: s.seq, hash: s.hash, signature: s.signature },
    });
  };
  appendUntil(100);
  snapshot();
  appendUntil(200);
  snapshot();
  appendUntil(250);
  if (keep) keep(store);
  else store.close();
}

function edit(dir: string, change: (db: Database.Database) => void): void {
  const db = new Database(join(dir, 'events.db'));
  try {
    change(db);
  } finally {
    db.close();
  }
}

/** The attacker's move: recompute every hash from `fromSeq` so the chain looks intact. */
function rehashFrom(db: Database.Database, fromSeq: number): void {
  const rows = db
    .prepare('SELECT * FROM events WHERE seq >= ? ORDER BY seq')
    .all(fromSeq) as EventRow[];
  let previous = (
    db.prepare('SELECT hash FROM events WHERE seq = ?').get(fromSeq - 1) as { hash: string }
  ).hash;
  const update = db.prepare('UPDATE events SET hash = ? WHERE seq = ?');
  for (const row of rows) {
    previous = chainHash(previous, row);
    update.run(previous, row.seq);
  }
}

function assertRepairKeeps(dir: string, keptRows: number, droppedFromSeq: number | null): void {
  const result = repairLog(dir, { pk: nodePk, nowMs: 1 });
  assert.equal(result.keptRows, keptRows);
  assert.equal(result.droppedFromSeq, droppedFromSeq);
  assert.equal(result.brokenFile, join(dir, 'events.db.broken-1'));
  const after = verifyLog(dir, { pk: nodePk });
  assert.ok(after.ok, after.problems.join('; '));
  assert.equal(after.checkedRows, keptRows);
  const store = SqliteEventStore.open(dir);
  assert.equal(store.lastSeq, keptRows);
  store.close();
}

test('a clean log verifies: chain, checkpoints, quick_check', (t) => {
  const dir = tempDataDir(t);
  buildLog(dir);
  const report = verifyLog(dir, { pk: nodePk });
  assert.deepEqual(report, {
    ok: true,
    checkedRows: 250,
    firstBadSeq: null,
    problems: [],
    badSnapshotSeqs: [],
  });
  assert.equal(repairLog(dir).droppedRows, 0);
});

test('flipped bytes in the file are detected; repair keeps the rows before them', (t) => {
  const dir = tempDataDir(t);
  buildLog(dir);
  const path = join(dir, 'events.db');
  const bytes = readFileSync(path);
  const at = bytes.indexOf(MARKER);
  assert.ok(at > 0);
  bytes[at + 3] = bytes[at + 3]! ^ 0x01;
  writeFileSync(path, bytes);
  const report = verifyLog(dir, { pk: nodePk });
  assert.equal(report.ok, false);
  assert.equal(report.firstBadSeq, 150);
  assertRepairKeeps(dir, 149, 150);
});

test('a damaged page is detected by quick_check or the walk; repair keeps what it can read', (t) => {
  const dir = tempDataDir(t);
  buildLog(dir);
  const path = join(dir, 'events.db');
  const bytes = readFileSync(path);
  const pageSize = bytes.readUInt16BE(16);
  const at = bytes.indexOf(MARKER);
  const page = Math.floor(at / pageSize);
  bytes.fill(0xa5, page * pageSize, (page + 1) * pageSize);
  writeFileSync(path, bytes);
  const report = verifyLog(dir, { pk: nodePk });
  assert.equal(report.ok, false);
  assert.ok(report.firstBadSeq !== null && report.firstBadSeq <= 150, String(report.firstBadSeq));
  const result = repairLog(dir, { pk: nodePk, nowMs: 1 });
  assert.ok(result.keptRows < 150);
  assert.ok(verifyLog(dir, { pk: nodePk }).ok);
});

test('a deleted WAL (committed events lost behind a checkpoint) is detected and repaired', (t) => {
  const lost = tempDataDir(t);
  const store = SqliteEventStore.open(lost);
  store.append(nodeStarted(1_700_000_000_000));
  mixedEvents(101).forEach((e) => store.append(e));
  store.saveSnapshot(snapshotAt(store));
  // The first 102 rows reach the database file; everything later stays in the WAL.
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  mixedEvents(50).forEach((e) => store.append(e));
  store.saveSnapshot(snapshotAt(store));
  // The copy without its WAL is what a node finds after the WAL was deleted.
  const copy = tempDataDir(t);
  copyFileSync(join(lost, 'events.db'), join(copy, 'events.db'));
  copyFileSync(join(lost, 'events.checkpoint'), join(copy, 'events.checkpoint'));
  store.close();

  const report = verifyLog(copy, { pk: nodePk });
  assert.equal(report.ok, false);
  assert.match(
    report.problems.join('\n'),
    /events\.checkpoint is past the end of the log \(seq 102\)/,
  );
  assert.throws(() => SqliteEventStore.open(copy), {
    code: 'journal_corrupt',
    message: /broken at seq 103/,
  });
  assertRepairKeeps(copy, 102, null);
});

test('an edited row is detected', (t) => {
  const dir = tempDataDir(t);
  buildLog(dir);
  edit(dir, (db) => db.prepare('UPDATE events SET at = at + 1 WHERE seq = 120').run());
  const report = verifyLog(dir, { pk: nodePk });
  assert.equal(report.firstBadSeq, 120);
  assert.match(report.problems[0]!, /event 120: hash does not match/);
  assertRepairKeeps(dir, 119, 120);
});

test('an edited row with the rest rehashed is caught by the signed checkpoint after it', (t) => {
  const dir = tempDataDir(t);
  buildLog(dir);
  edit(dir, (db) => {
    db.prepare("UPDATE events SET data = replace(data, 'MARKER', 'marker') WHERE seq = 150").run();
    rehashFrom(db, 150);
  });
  const report = verifyLog(dir, { pk: nodePk });
  assert.equal(report.ok, false);
  assert.equal(report.firstBadSeq, 101, 'everything after the last matching checkpoint is suspect');
  assert.match(report.problems.join('\n'), /event 200 does not match the snapshot at seq 200/);
  assertRepairKeeps(dir, 100, 101);
});

test('a deleted row is detected', (t) => {
  const dir = tempDataDir(t);
  buildLog(dir);
  edit(dir, (db) => db.prepare('DELETE FROM events WHERE seq = 130').run());
  const report = verifyLog(dir, { pk: nodePk });
  assert.equal(report.firstBadSeq, 130);
  assert.match(report.problems[0]!, /seq gap: 131 follows 129/);
});

test('reordered rows (two rows swap content) are detected', (t) => {
  const dir = tempDataDir(t);
  buildLog(dir);
  edit(dir, (db) => {
    const get = db.prepare(
      'SELECT at, type, peer, key, lookup, data, hash FROM events WHERE seq = ?',
    );
    const a = get.get(140) as Record<string, unknown>;
    const b = get.get(141) as Record<string, unknown>;
    const put = db.prepare(
      'UPDATE events SET at = @at, type = @type, peer = @peer, key = @key, lookup = @lookup, data = @data, hash = @hash WHERE seq = @seq',
    );
    put.run({ ...b, seq: 140 });
    put.run({ ...a, seq: 141 });
  });
  const report = verifyLog(dir, { pk: nodePk });
  assert.equal(report.firstBadSeq, 140);
});

test('a truncated tail behind a checkpoint is detected', (t) => {
  const dir = tempDataDir(t);
  buildLog(dir);
  edit(dir, (db) => db.prepare('DELETE FROM events WHERE seq > 180').run());
  const report = verifyLog(dir, { pk: nodePk });
  assert.equal(report.ok, false);
  assert.equal(report.firstBadSeq, 181);
  assert.match(
    report.problems.join('\n'),
    /snapshot at seq 200 is past the end of the log \(seq 180\)/,
  );
  assertRepairKeeps(dir, 180, null);
});

test('a checkpoint signed by another key is reported', (t) => {
  const dir = tempDataDir(t);
  buildLog(dir, (store) => {
    store.saveSnapshot(snapshotAt(store, signingKeyFromSecret(new Uint8Array(32).fill(9))));
    store.close();
  });
  const report = verifyLog(dir);
  assert.equal(report.ok, false);
  assert.match(report.problems.join('\n'), /snapshot at seq 250: signature does not verify/);
  assert.deepEqual(report.badSnapshotSeqs, [250]);
});

test('an edited row after the latest checkpoint stops the node at open', (t) => {
  const dir = tempDataDir(t);
  buildLog(dir);
  edit(dir, (db) => db.prepare('UPDATE events SET at = at + 1 WHERE seq = 230').run());
  assert.throws(() => SqliteEventStore.open(dir), {
    code: 'journal_corrupt',
    message: /broken at seq 230: event 230: hash does not match/,
  });
});
