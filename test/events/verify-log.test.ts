import assert from 'node:assert/strict';
import {
  copyFileSync,
  existsSync,
  readFileSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { signingKeyFromSecret } from '../../src/core/ed25519.js';
import { chainHash, GENESIS_HASH, type EventRow } from '../../src/events/hash-chain.js';
import { repairLog, type RepairResult } from '../../src/events/repair-log.js';
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

/** After a repair: exactly `keptRows` rows, verifying, and the node opens on them. */
function assertRepaired(dir: string, result: RepairResult, keptRows: number): void {
  assert.equal(result.keptRows, keptRows);
  assert.equal(result.brokenFile, join(dir, 'events.db.broken-1'));
  const after = verifyLog(dir, { pk: nodePk });
  assert.ok(after.ok, after.problems.join('; '));
  assert.equal(after.checkedRows, keptRows);
  const store = SqliteEventStore.open(dir);
  assert.equal(store.lastSeq, keptRows);
  store.close();
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

/**
 * The independent count: the readable, chain-valid prefix found the plain way, one row at a
 * time by primary key, on a copy (opening the original could recover or checkpoint its WAL).
 */
function readablePrefix(t: { after(fn: () => void): void }, dir: string): number {
  const copy = tempDataDir(t);
  for (const file of ['events.db', 'events.db-wal'])
    if (existsSync(join(dir, file))) copyFileSync(join(dir, file), join(copy, file));
  const db = new Database(join(copy, 'events.db'));
  // Lets SQLite open a file shorter than its header says (the truncated case).
  db.unsafeMode(true);
  db.pragma('writable_schema = ON');
  try {
    const one = db.prepare('SELECT * FROM events WHERE seq = ?');
    let previous = GENESIS_HASH;
    for (let seq = 1; ; seq++) {
      let row: EventRow | undefined;
      try {
        row = one.get(seq) as EventRow | undefined;
      } catch {
        return seq - 1;
      }
      if (row === undefined || chainHash(previous, row) !== row.hash) return seq - 1;
      previous = row.hash;
    }
  } finally {
    db.close();
  }
}

/** Overwrites the page of events.db that holds row 150 (the marked row). */
function damageMarkedPage(dir: string, fill: number): void {
  const path = join(dir, 'events.db');
  const bytes = readFileSync(path);
  const pageSize = bytes.readUInt16BE(16);
  const page = Math.floor(bytes.indexOf(MARKER) / pageSize);
  assert.ok(page > 0);
  bytes.fill(fill, page * pageSize, (page + 1) * pageSize);
  writeFileSync(path, bytes);
}

for (const [name, fill] of [
  ['zeroed', 0x00],
  ['0xa5-filled', 0xa5],
] as const) {
  test(`a ${name} page: the first unreadable row is the first bad seq; repair keeps every row before it`, (t) => {
    const dir = tempDataDir(t);
    buildLog(dir);
    damageMarkedPage(dir, fill);
    const readable = readablePrefix(t, dir);
    t.diagnostic(`readable prefix: ${readable} rows`);
    // The page holding row 150 also holds some rows before it; every earlier page is intact.
    assert.ok(readable >= 100 && readable < 150, `readable prefix ${readable}`);
    const report = verifyLog(dir, { pk: nodePk });
    assert.equal(report.ok, false);
    assert.equal(report.firstBadSeq, readable + 1);
    assert.equal(report.checkedRows, readable);
    assert.match(report.problems.join('\n'), new RegExp(`cannot read event ${readable + 1}: `));
    const result = repairLog(dir, { pk: nodePk, nowMs: 1 });
    assert.equal(result.droppedFromSeq, readable + 1);
    assert.equal(result.droppedToSeq, 250);
    assert.equal(result.droppedRows, 250 - readable);
    assert.equal(result.droppedRowsExact, true);
    assert.equal(result.droppedSnapshots, 1, 'the snapshot at 200 goes, the one at 100 stays');
    assertRepaired(dir, result, readable);
  });
}

test('a truncated file: repair keeps every row before the cut', (t) => {
  const dir = tempDataDir(t);
  buildLog(dir);
  const path = join(dir, 'events.db');
  const bytes = readFileSync(path);
  const pageSize = bytes.readUInt16BE(16);
  const cut = Math.floor(bytes.indexOf(MARKER) / pageSize) * pageSize;
  truncateSync(path, cut);
  const readable = readablePrefix(t, dir);
  t.diagnostic(`readable prefix: ${readable} rows`);
  assert.ok(readable >= 100 && readable < 150, `readable prefix ${readable}`);
  const report = verifyLog(dir, { pk: nodePk });
  assert.equal(report.ok, false);
  assert.equal(report.firstBadSeq, readable + 1);
  assert.equal(report.checkedRows, readable);
  const result = repairLog(dir, { pk: nodePk, nowMs: 1 });
  assert.equal(result.droppedFromSeq, readable + 1);
  // Where the cut also took the type index's pages, the newest checkpoint (200) is the last seq
  // known to exist (a lower bound); where that index lies before the cut (with compact rows it
  // fits in the first pages), it still counts all 250 rows.
  const end = result.droppedRowsExact ? 250 : 200;
  assert.equal(result.droppedToSeq, end);
  assert.equal(result.droppedRows, end - readable);
  assertRepaired(dir, result, readable);
});

test('a torn WAL: the commits before the tear are kept, the checkpoint after it is reported', (t) => {
  const dir = tempDataDir(t);
  // No checkpoints at all: every commit stays in the WAL, in order.
  const store = SqliteEventStore.open(dir, {
    batchSize: 10,
    writer: 'inline',
    checkpointInWorker: false,
  });
  store.append(nodeStarted(1_700_000_000_000));
  const events = mixedEvents(200, 5);
  events.slice(0, 100).forEach((e) => store.append(e));
  store.saveSnapshot(snapshotAt(store));
  const walAtFirstSnapshot = statSync(join(dir, 'events.db-wal')).size;
  events.slice(100).forEach((e) => store.append(e));
  store.saveSnapshot(snapshotAt(store));
  const walAtSecondSnapshot = statSync(join(dir, 'events.db-wal')).size;
  const torn = tempDataDir(t);
  for (const file of ['events.db', 'events.db-wal', 'events.checkpoint'])
    copyFileSync(join(dir, file), join(torn, file));
  store.close();
  // Half-way between the snapshots, in the middle of a frame (a write cut by a power loss).
  const pageSize = readFileSync(join(torn, 'events.db')).readUInt16BE(16);
  const frame = 24 + pageSize;
  const middle = Math.floor((walAtFirstSnapshot + walAtSecondSnapshot) / 2);
  truncateSync(join(torn, 'events.db-wal'), 32 + Math.floor((middle - 32) / frame) * frame + 100);

  const readable = readablePrefix(t, torn);
  t.diagnostic(`readable prefix: ${readable} rows`);
  assert.ok(readable > 101 && readable < 201, `readable prefix ${readable}`);
  const report = verifyLog(torn, { pk: nodePk });
  assert.equal(report.ok, false);
  assert.equal(report.checkedRows, readable);
  assert.equal(report.firstBadSeq, readable + 1);
  assert.match(
    report.problems.join('\n'),
    new RegExp(`events\\.checkpoint is past the end of the log \\(seq ${readable}\\)`),
  );
  const result = repairLog(torn, { pk: nodePk, nowMs: 1 });
  assert.equal(result.droppedRows, 0, 'nothing readable is dropped: the tear lost the rest');
  assertRepaired(torn, result, readable);
});

test('a deleted WAL (committed events lost behind a checkpoint) is detected and repaired', (t) => {
  const lost = tempDataDir(t);
  // Inline: the test checkpoints by hand between commits it controls.
  const store = SqliteEventStore.open(lost, { writer: 'inline', checkpointInWorker: false });
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

test('a file that is not a database: repair keeps nothing and moves it aside', (t) => {
  const dir = tempDataDir(t);
  writeFileSync(join(dir, 'events.db'), 'this is not an SQLite database');
  const report = verifyLog(dir, { pk: nodePk });
  assert.equal(report.firstBadSeq, 1);
  const result = repairLog(dir, { pk: nodePk, nowMs: 1 });
  assert.equal(readFileSync(result.brokenFile!, 'utf8'), 'this is not an SQLite database');
  assertRepaired(dir, result, 0);
});
