import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import {
  decodeStoredRow,
  STORED_EVENTS_SELECT,
  storedRow,
  type StoredEventRow,
} from '../../src/events/compact-data.js';
import { chainHash, type EventRow } from '../../src/events/hash-chain.js';
import { applyMigrations, loadMigrations } from '../../src/events/migrations.js';
import { SqliteEventStore } from '../../src/events/sqlite-event-store.js';
import { verifyLog } from '../../src/events/verify-log.js';
import { loadLookup } from '../../src/inspect/lookup-record.js';
import { checkReplay } from '../../src/inspect/replay-check.js';
import { withLog } from '../../src/inspect/open-log.js';
import { recordLog } from '../inspect/recorded-log.js';
import { seeded } from '../support/seed.js';
import { closeAtCleanup, mixedEvents, tempDataDir } from './store-fixtures.js';

/**
 * Migration 0002 stores compact rows behind the `events` view (docs/event-log.md): whatever
 * is written through the view reads back byte for byte, so the hash chain is unchanged.
 */

const COLUMNS = 'seq, at, type, peer, key, lookup, data, hash';

function migratedDb(t: { after(fn: () => void): void }, upTo?: number): Database.Database {
  const dir = tempDataDir(t);
  const db = closeAtCleanup(dir, new Database(join(dir, 'events.db')));
  applyMigrations(db, loadMigrations().slice(0, upTo));
  return db;
}

const inserts = new WeakMap<Database.Database, Database.Statement>();

/** Prepared once per database: the view's trigger makes preparing an insert slow. */
function insertInto(db: Database.Database): Database.Statement {
  let insert = inserts.get(db);
  if (insert === undefined) {
    insert = db.prepare(`INSERT INTO events (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    inserts.set(db, insert);
  }
  return insert;
}

/** Through the view as text, encoded by its trigger (how a migration or a hand edit writes). */
function insertRow(db: Database.Database, row: EventRow): void {
  const { seq, at, type, peer, key, lookup, data, hash } = row;
  insertInto(db).run(seq, at, type, peer, key, lookup, data, hash);
}

/** Through the view already encoded, as the store's writers do. */
function insertStored(db: Database.Database, row: EventRow): void {
  insertInto(db).run(...storedRow(row));
}

function allRows(db: Database.Database): EventRow[] {
  return db.prepare(`SELECT ${COLUMNS} FROM events ORDER BY seq`).all() as EventRow[];
}

const hexId = fc
  .uint8Array({ minLength: 20, maxLength: 20 })
  .map((b) => Buffer.from(b).toString('hex'));
const anyText = fc.string({ unit: 'binary', maxLength: 30 });
const jsonValue = fc.jsonValue({ maxDepth: 3 });

test('any row written through the view, encoded by the store or by the trigger, reads back exactly as written, through the view and through the store', (t) => {
  const db = migratedDb(t);
  let seq = 0;
  fc.assert(
    fc.property(
      fc.record({
        encodedByStore: fc.boolean(),
        type: fc.oneof(fc.constantFrom('rpc_sent', 'lookup_step', 'peer_seen'), anyText),
        peer: fc.option(fc.oneof(hexId, anyText)),
        key: fc.option(fc.oneof(hexId, anyText)),
        lookup: fc.option(fc.integer()),
        fields: fc.dictionary(
          fc.oneof(fc.constantFrom('id', 'peer', 'key', 'target', 'op', 'addr', 'rid'), anyText),
          fc.oneof(jsonValue, hexId, fc.constantFrom('find_node', '10.0.0.1:4433', 'ok')),
        ),
        hash: fc.oneof(
          fc
            .uint8Array({ minLength: 32, maxLength: 32 })
            .map((b) => Buffer.from(b).toString('hex')),
          anyText,
        ),
      }),
      (r) => {
        const fields: Record<string, unknown> = { ...r.fields };
        // The row's own peer and key inside data are what the encoding shortens most.
        if (r.peer !== null) fields['id'] = r.peer;
        if (r.key !== null) fields['target'] = r.key;
        const row: EventRow = {
          seq: ++seq,
          at: 1_700_000_000_000 + seq,
          type: r.type,
          peer: r.peer,
          key: r.key,
          lookup: r.lookup,
          data: JSON.stringify(fields),
          hash: r.hash,
        };
        if (r.encodedByStore) insertStored(db, row);
        else insertRow(db, row);
        const viewed = db.prepare(`SELECT ${COLUMNS} FROM events WHERE seq = ?`).get(seq);
        assert.deepEqual(viewed, row);
        const stored = db
          .prepare(`${STORED_EVENTS_SELECT} WHERE e.seq = ?`)
          .get(seq) as StoredEventRow;
        assert.deepEqual(decodeStoredRow(stored), row);
      },
    ),
    { numRuns: 400 },
  );
});

test('a busy node mix is stored in well under half its text: codes, numbers, 32-byte hashes', (t) => {
  const db = migratedDb(t);
  let hash = '0'.repeat(64);
  const events = mixedEvents(2_000, 3);
  let textBytes = 0;
  events.forEach((e, i) => {
    const row = { ...e, seq: i + 1, data: JSON.stringify(e.data), hash: '' };
    row.hash = hash = chainHash(hash, row);
    textBytes += Buffer.byteLength(row.data) + row.hash.length + (row.peer?.length ?? 0);
    insertStored(db, row);
  });
  const stored = db
    .prepare(
      `SELECT sum(length(CAST(data AS BLOB)) + length(hash) + 2) AS bytes,
              sum(typeof(data) = 'blob') AS encoded, sum(length(hash) = 32) AS binaryHashes
       FROM event_rows`,
    )
    .get() as { bytes: number; encoded: number; binaryHashes: number };
  assert.equal(stored.encoded, 2_000);
  assert.equal(stored.binaryHashes, 2_000);
  assert.ok(stored.bytes < textBytes / 2, `${stored.bytes} stored vs ${textBytes} as text`);
  assert.deepEqual(
    allRows(db).map((r) => r.hash),
    db.prepare('SELECT lower(hex(hash)) FROM event_rows ORDER BY seq').pluck().all(),
  );
});

test('a peer ID or key is stored once, and goes when the last row naming it is deleted', (t) => {
  const db = migratedDb(t);
  const row = (seq: number, peer: string | null, key: string | null): EventRow => ({
    seq,
    at: seq,
    type: 'peer_seen',
    peer,
    key,
    lookup: null,
    data: '{}',
    hash: 'ab'.repeat(32),
  });
  insertRow(db, row(1, 'aa', 'bb'));
  insertRow(db, row(2, 'aa', null));
  insertRow(db, row(3, 'bb', null));
  const ids = (): string[] =>
    db.prepare('SELECT id FROM event_ids ORDER BY id').pluck().all() as string[];
  assert.deepEqual(ids(), ['aa', 'bb']);
  db.prepare('DELETE FROM event_rows WHERE seq = 1').run();
  assert.deepEqual(ids(), ['aa', 'bb'], 'both still named by rows 2 and 3');
  db.prepare('DELETE FROM events WHERE seq = 2').run();
  assert.deepEqual(ids(), ['bb']);
  db.prepare("UPDATE events SET peer = 'cc' WHERE seq = 3").run();
  assert.deepEqual(ids(), ['cc']);
  assert.deepEqual(allRows(db), [row(3, 'cc', null)]);
});

test('a log of the first format is migrated in place: same rows, it verifies, its lookups replay', (t) => {
  seeded(5, (seed) => {
    const log = recordLog(t, seed);
    log.closeWriter();
    // The same log as a node of the previous release wrote it: migration 0001 only.
    const oldDir = tempDataDir(t);
    const old = new Database(join(oldDir, 'events.db'));
    old.pragma('journal_mode = WAL');
    applyMigrations(old, loadMigrations().slice(0, 1));
    old.exec(`ATTACH '${join(log.dataDir, 'events.db')}' AS recorded`);
    old.exec(`INSERT INTO main.events SELECT ${COLUMNS} FROM recorded.events ORDER BY seq`);
    old.exec('INSERT INTO main.snapshots SELECT * FROM recorded.snapshots');
    old.exec('INSERT INTO main.log_meta SELECT * FROM recorded.log_meta');
    old.exec('DETACH recorded');
    const before = allRows(old);
    assert.equal(
      old.prepare("SELECT type FROM sqlite_master WHERE name = 'events'").pluck().get(),
      'table',
    );
    old.close();
    copyFileSync(join(log.dataDir, 'events.checkpoint'), join(oldDir, 'events.checkpoint'));

    const store = SqliteEventStore.open(oldDir);
    const migrated = store.db;
    assert.equal(
      migrated.prepare("SELECT type FROM sqlite_master WHERE name = 'events'").pluck().get(),
      'view',
    );
    assert.deepEqual(allRows(migrated), before);
    const next = store.append({
      type: 'node_stopped',
      at: 1,
      peer: null,
      key: null,
      lookup: null,
      data: { reason: 'test' },
    });
    assert.equal(next.seq, before.at(-1)!.seq + 1);
    store.close();

    const report = verifyLog(oldDir);
    assert.equal(report.ok, true, report.problems.join('\n'));
    assert.equal(report.checkedRows, before.length + 1);
    assert.ok(log.lookups.length >= 4);
    for (const live of log.lookups) {
      const check = withLog(oldDir, (l) => checkReplay(loadLookup(l.store, live.id)));
      assert.equal(check.divergence, null, `lookup ${live.id}`);
    }
  });
});
