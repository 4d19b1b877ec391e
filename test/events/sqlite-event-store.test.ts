import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { TesdError } from '../../src/core/errors.js';
import { JournalUnavailableError, type JournalStatus } from '../../src/events/event-store.js';
import type { NewEvent, StoredEvent } from '../../src/events/event-types.js';
import { MemoryEventStore } from '../../src/events/memory-event-store.js';
import { SqliteEventStore } from '../../src/events/sqlite-event-store.js';
import { verifyLog } from '../../src/events/verify-log.js';
import { requirement } from '../support/requirement.js';
import {
  mixedEvents,
  nodeStarted,
  snapshotAt,
  tempDataDir,
  closeAtCleanup,
} from './store-fixtures.js';

function manualSchedule(): { schedule: (fn: () => void) => void; run(): void; count(): number } {
  const queue: Array<() => void> = [];
  return {
    schedule: (fn) => queue.push(fn),
    run: () => queue.splice(0).forEach((fn) => fn()),
    count: () => queue.length,
  };
}

function committedCount(dataDir: string): number {
  const db = new Database(join(dataDir, 'events.db'), { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

test('appended events read back equal, in order, after reopen', (t) => {
  const dir = tempDataDir(t);
  const events = [nodeStarted(1_700_000_000_000), ...mixedEvents(500)];
  const store = SqliteEventStore.open(dir);
  const appended = events.map((e) => store.append(e));
  const memory = new MemoryEventStore();
  const expected = events.map((e) => memory.append(e));
  assert.deepEqual(appended, expected, 'same seq and hash as the in-memory adapter');
  store.close();

  const reopened = SqliteEventStore.open(dir);
  closeAtCleanup(dir, reopened);
  assert.deepEqual([...reopened.read()], expected);
  assert.equal(reopened.lastSeq, 501);
  assert.equal(reopened.lastHash, expected.at(-1)!.hash);
  const next = reopened.append(events[1]!);
  assert.equal(next.seq, 502);
});

test('group commit: nothing written until the batch fills or the scheduled flush runs', (t) => {
  const dir = tempDataDir(t);
  const manual = manualSchedule();
  const store = SqliteEventStore.open(dir, {
    batchSize: 100,
    schedule: manual.schedule,
    writer: 'inline',
  });
  closeAtCleanup(dir, store);
  const events = mixedEvents(250);
  events.slice(0, 99).forEach((e) => store.append(e));
  assert.equal(committedCount(dir), 0);
  assert.equal(manual.count(), 1, 'one flush scheduled for the whole batch');
  store.append(events[99]!);
  assert.equal(committedCount(dir), 100, 'a full batch commits at once');
  events.slice(100, 130).forEach((e) => store.append(e));
  assert.equal(committedCount(dir), 100);
  manual.run();
  assert.equal(committedCount(dir), 130, 'the scheduled flush commits the rest');
  store.append(events[130]!);
  store.flush();
  assert.equal(committedCount(dir), 131);
});

/** Polls until `done()` holds; fails after `timeoutMs`. */
async function eventually(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test('the default scheduler commits in the writer thread without a flush', async (t) => {
  const dir = tempDataDir(t);
  const store = SqliteEventStore.open(dir);
  closeAtCleanup(dir, store);
  mixedEvents(10).forEach((e) => store.append(e));
  assert.equal(committedCount(dir), 0, 'append returns before anything is written');
  assert.equal(store.pendingCount, 10);
  await eventually(() => committedCount(dir) === 10, 10_000, 'the 10 events committed');
  await eventually(() => store.pendingCount === 0, 10_000, 'the commit acknowledged');
  assert.equal([...store.read()].length, 10);
});

test('reads by seq range, type, peer, key, lookup and limit match the in-memory adapter', (t) => {
  const dir = tempDataDir(t);
  const store = SqliteEventStore.open(dir, { batchSize: 7 });
  closeAtCleanup(dir, store);
  const memory = new MemoryEventStore();
  for (const e of mixedEvents(3_000, 3)) {
    store.append(e);
    memory.append(e);
  }
  const sample = [...memory.read()].find((e) => e.type === 'lookup_step')!;
  const queries = [
    {},
    { afterSeq: 1_200 },
    { afterSeq: 10, untilSeq: 2_500 },
    { type: 'peer_seen' as const },
    { peer: sample.peer! },
    { key: sample.key! },
    { lookup: sample.lookup! },
    { type: 'rpc_sent' as const, peer: sample.peer!, limit: 3 },
    { afterSeq: 999, limit: 1_500 },
    { limit: 0 },
  ];
  for (const q of queries)
    assert.deepEqual([...store.read(q)], [...memory.read(q)], JSON.stringify(q));
});

test('migrations are applied once and recorded', (t) => {
  const dir = tempDataDir(t);
  SqliteEventStore.open(dir).close();
  SqliteEventStore.open(dir).close();
  const db = new Database(join(dir, 'events.db'), { readonly: true });
  closeAtCleanup(dir, db);
  const rows = db.prepare('SELECT version, name FROM schema_migrations').all();
  assert.deepEqual(rows, [
    { version: 1, name: '0001_events.sql' },
    { version: 2, name: '0002_compact_events.sql' },
  ]);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  const indexes = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'event_rows'")
    .pluck()
    .all();
  assert.deepEqual(indexes.sort(), [
    'events_by_key',
    'events_by_lookup',
    'events_by_peer',
    'events_by_type',
  ]);
});

test('snapshots: the latest is returned and mirrored to events.checkpoint', (t) => {
  const dir = tempDataDir(t);
  const store = SqliteEventStore.open(dir);
  closeAtCleanup(dir, store);
  assert.equal(store.latestSnapshot(), null);
  mixedEvents(20).forEach((e) => store.append(e));
  const first = snapshotAt(store);
  store.saveSnapshot(first);
  mixedEvents(20, 2).forEach((e) => store.append(e));
  const second = snapshotAt(store);
  store.saveSnapshot(second);
  assert.deepEqual(store.latestSnapshot(), second);
  assert.ok(existsSync(join(dir, 'events.checkpoint')));
});

test('a read-only open reads but refuses writes, and never takes the lock', (t) => {
  const dir = tempDataDir(t);
  const writer = SqliteEventStore.open(dir);
  closeAtCleanup(dir, writer);
  mixedEvents(5).forEach((e) => writer.append(e));
  writer.flush();
  const reader = SqliteEventStore.openReadOnly(dir);
  closeAtCleanup(dir, reader);
  assert.equal([...reader.read()].length, 5);
  assert.throws(() => reader.append(mixedEvents(1)[0]!), { code: 'journal_read_only' });
  assert.throws(() => reader.db.exec('DELETE FROM events'), /readonly/);
  writer.append(mixedEvents(1)[0]!);
  writer.flush();
  assert.equal(reader.lastSeq, 6, 'follows the writer');
});

test('a read-only open of a missing database is a one-line TesdError', (t) => {
  const dir = tempDataDir(t);
  assert.throws(
    () => SqliteEventStore.openReadOnly(dir),
    (error: unknown) => {
      assert.ok(error instanceof TesdError);
      assert.match(error.message, /events\.db/);
      return true;
    },
  );
});

test('a second writer on the same data directory is refused', (t) => {
  const dir = tempDataDir(t);
  const store = SqliteEventStore.open(dir);
  assert.throws(() => SqliteEventStore.open(dir), {
    code: 'data_dir_locked',
    message: new RegExp(`in use by another tesd \\(pid ${process.pid}\\)`),
  });
  store.close();
  SqliteEventStore.open(dir).close();
});

test('a file that is not a database is a one-line TesdError', async (t) => {
  const dir = tempDataDir(t);
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(dir, 'events.db'), 'this is not a database'.repeat(300));
  assert.throws(() => SqliteEventStore.open(dir), {
    code: 'journal_corrupt',
    message: /events\.db is damaged/,
  });
  assert.ok(!existsSync(join(dir, 'tesd.lock')), 'the lock is released on failure');
});

interface ManualTimer {
  retry: (() => void) | null;
}

function faultyStore(dir: string, statuses: JournalStatus[], timer: ManualTimer) {
  let failing = false;
  const store = SqliteEventStore.open(dir, {
    batchSize: 10,
    writer: 'inline',
    schedule: () => {},
    wrapWrite: (write) => {
      if (failing)
        throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
      write();
    },
    setRetryTimer: (retry) => {
      timer.retry = retry;
      return { cancel: () => (timer.retry = null) };
    },
    onStatusChange: (s) => statuses.push(s),
  });
  return { store, setFailing: (value: boolean) => (failing = value) };
}

test('degraded mode (injected SQLITE_FULL): paused, appends refused, nothing lost, resumed', (t) => {
  const dir = tempDataDir(t);
  const statuses: JournalStatus[] = [];
  const timer: ManualTimer = { retry: null };
  const { store, setFailing } = faultyStore(dir, statuses, timer);
  closeAtCleanup(dir, store);
  const events = mixedEvents(40);
  events.slice(0, 10).forEach((e) => store.append(e));
  setFailing(true);
  events.slice(10, 19).forEach((e) => store.append(e));
  store.append(events[19]!); // fills the batch: the write fails
  assert.deepEqual(store.status, { paused: true, error: 'SQLITE_FULL: database or disk is full' });
  assert.throws(() => store.append(events[20]!), JournalUnavailableError);
  assert.throws(() => store.flush(), JournalUnavailableError);
  assert.equal(store.lastSeq, 20);
  assert.equal([...store.read()].length, 20, 'pending events are still readable');
  timer.retry!();
  assert.equal(store.status.paused, true, 'still full');
  setFailing(false);
  timer.retry!();
  assert.deepEqual(store.status, { paused: false, error: null });
  assert.deepEqual(
    statuses.map((s) => s.paused),
    [true, false],
  );
  assert.equal(committedCount(dir), 20);
  store.append(events[20]!);
  store.flush();
  assert.ok(verifyLog(dir).ok);
});

test('degraded mode on a real full disk (tmpfs)', async (t) => {
  const { mountSmallTmpfs } = await import('./tmpfs.js');
  const mount = mountSmallTmpfs(t, 2);
  const refused = 'refused' in mount ? mount.refused : null;
  if (!requirement(t, 'a tmpfs mount (root)', refused) || 'refused' in mount) return;
  t.diagnostic(`real full disk: tmpfs of 2 MiB at ${mount.dir}`);
  const statuses: JournalStatus[] = [];
  const timer: ManualTimer = { retry: null };
  const store = SqliteEventStore.open(mount.dir, {
    batchSize: 200,
    writer: 'inline', // a failed commit is seen by the append that fills the batch
    cacheMib: 1,
    schedule: () => {},
    setRetryTimer: (retry) => {
      timer.retry = retry;
      return { cancel: () => (timer.retry = null) };
    },
    onStatusChange: (s) => statuses.push(s),
  });
  const appended: StoredEvent[] = [];
  const events = mixedEvents(40_000);
  for (const e of events) {
    try {
      appended.push(store.append(e));
    } catch (error) {
      assert.ok(error instanceof JournalUnavailableError);
      break;
    }
  }
  assert.equal(store.status.paused, true, 'the disk filled up');
  assert.match(store.status.error ?? '', /SQLITE_FULL|disk is full|SQLITE_IOERR/);
  mount.grow(16);
  timer.retry!();
  assert.equal(store.status.paused, false);
  store.append(events[appended.length]!);
  store.close();
  const reopened = SqliteEventStore.open(mount.dir);
  const read = [...reopened.read()];
  reopened.close();
  assert.equal(read.length, appended.length + 1, 'nothing lost');
  assert.deepEqual(read.slice(0, appended.length), appended);
  assert.ok(verifyLog(mount.dir).ok);
});

test('property: any event sequence survives append, flush and reopen, and verifies', async (t) => {
  const dir = tempDataDir(t);
  let round = 0;
  const hex = fc.stringMatching(/^[0-9a-f]{64}$/);
  const arbitraryEvent: fc.Arbitrary<NewEvent> = fc.record(
    {
      type: fc.constant('peer_failed' as const),
      at: fc.integer({ min: 0, max: 2 ** 45 }),
      peer: fc.option(hex),
      key: fc.option(hex),
      lookup: fc.option(fc.nat()),
      data: fc.record(
        {
          id: hex,
          addr: fc.string(),
          failures: fc.nat(),
          error: fc.string({ unit: 'grapheme' }),
        },
        { noNullPrototype: true },
      ),
    },
    { noNullPrototype: true },
  );
  const step = fc.oneof(
    arbitraryEvent.map((e) => ({ kind: 'append' as const, e })),
    fc.constant({ kind: 'flush' as const }),
    fc.constant({ kind: 'reopen' as const }),
  );
  await fc.assert(
    fc.asyncProperty(
      fc.array(step, { maxLength: 40 }),
      fc.integer({ min: 1, max: 8 }),
      async (steps, batchSize) => {
        const sub = join(dir, String(round++));
        let store = SqliteEventStore.open(sub, { batchSize });
        const expected: StoredEvent[] = [];
        for (const s of steps) {
          if (s.kind === 'append') expected.push(store.append(s.e));
          else if (s.kind === 'flush') store.flush();
          else {
            await new Promise((resolve) => setImmediate(resolve));
            store.close();
            store = SqliteEventStore.open(sub, { batchSize });
          }
        }
        const read = [...store.read()];
        store.close();
        assert.deepEqual(read, expected);
        const report = verifyLog(sub);
        assert.ok(report.ok, report.problems.join('; '));
        assert.equal(report.checkedRows, expected.length);
      },
    ),
    { numRuns: 40 },
  );
});

function threadStore(dir: string, statuses: JournalStatus[], timer: ManualTimer) {
  return closeAtCleanup(
    dir,
    SqliteEventStore.open(dir, {
      writerBusyTimeoutMs: 100,
      setRetryTimer: (retry) => {
        timer.retry = retry;
        return { cancel: () => (timer.retry = null) };
      },
      onStatusChange: (s) => statuses.push(s),
    }),
  );
}

test('writer thread: a read-only database (injected SQLITE_READONLY) pauses; reads answered; nothing lost', (t) => {
  const dir = tempDataDir(t);
  const statuses: JournalStatus[] = [];
  const timer: ManualTimer = { retry: null };
  const store = threadStore(dir, statuses, timer);
  const events = mixedEvents(30);
  events.slice(0, 10).forEach((e) => store.append(e));
  store.flush();
  store.injectWriteFailure({
    message: 'attempt to write a readonly database',
    code: 'SQLITE_READONLY',
  });
  events.slice(10, 20).forEach((e) => store.append(e));
  assert.throws(() => store.flush(), JournalUnavailableError);
  assert.deepEqual(store.status, {
    paused: true,
    error: 'SQLITE_READONLY: attempt to write a readonly database',
  });
  assert.throws(() => store.append(events[20]!), JournalUnavailableError);
  assert.equal(committedCount(dir), 10);
  assert.deepEqual(
    [...store.read()].map((e) => e.seq),
    Array.from({ length: 20 }, (_, i) => i + 1),
    'the uncommitted events are still read',
  );
  timer.retry!();
  assert.equal(store.status.paused, true, 'still read-only');
  store.injectWriteFailure(null);
  timer.retry!();
  assert.deepEqual(store.status, { paused: false, error: null });
  assert.deepEqual(
    statuses.map((s) => s.paused),
    [true, false],
  );
  assert.equal(committedCount(dir), 20);
  assert.equal(store.append(events[20]!).seq, 21);
  store.flush();
  assert.ok(verifyLog(dir).ok);
});

test('writer thread: a database locked by another process pauses; reads answered; resumes', (t) => {
  const dir = tempDataDir(t);
  const statuses: JournalStatus[] = [];
  const timer: ManualTimer = { retry: null };
  const store = threadStore(dir, statuses, timer);
  const events = mixedEvents(20);
  events.slice(0, 5).forEach((e) => store.append(e));
  store.flush();
  const other = closeAtCleanup(dir, new Database(join(dir, 'events.db')));
  other.exec('BEGIN IMMEDIATE'); // holds the write lock
  events.slice(5, 12).forEach((e) => store.append(e));
  assert.throws(() => store.flush(), JournalUnavailableError);
  assert.equal(store.status.paused, true);
  assert.match(store.status.error ?? '', /SQLITE_BUSY|database is locked/);
  assert.equal([...store.read()].length, 12, 'reads answered from the file and memory');
  assert.equal([...store.read({ afterSeq: 5 })][0]!.seq, 6);
  other.exec('COMMIT');
  timer.retry!();
  assert.deepEqual(store.status, { paused: false, error: null });
  assert.equal(committedCount(dir), 12);
  assert.deepEqual(
    statuses.map((s) => s.paused),
    [true, false],
  );
});

test('writer thread: a snapshot is written after its events, then mirrored to events.checkpoint', (t) => {
  const dir = tempDataDir(t);
  const store = closeAtCleanup(dir, SqliteEventStore.open(dir));
  mixedEvents(50).forEach((e) => store.append(e));
  const snapshot = snapshotAt(store);
  store.saveSnapshot(snapshot); // returns before anything is written
  assert.deepEqual(store.latestSnapshot(), snapshot, 'latestSnapshot waits for it');
  assert.equal(committedCount(dir), 50);
  const file = JSON.parse(readFileSync(join(dir, 'events.checkpoint'), 'utf8')) as unknown;
  assert.deepEqual(file, { seq: 50, hash: snapshot.hash, signature: snapshot.signature });
  assert.equal(store.lastSnapshotError, null);
});

test('writer thread: settled() resolves once the thread wrote everything handed to it', async (t) => {
  const dir = tempDataDir(t);
  const store = closeAtCleanup(dir, SqliteEventStore.open(dir, { batchSize: 10 }));
  mixedEvents(25).forEach((e) => store.append(e)); // two full batches handed over, 5 queued
  store.saveSnapshot(snapshotAt(store)); // hands over the rest, then the snapshot
  await store.settled();
  assert.equal(committedCount(dir), 25);
  const db = closeAtCleanup(dir, new Database(join(dir, 'events.db'), { readonly: true }));
  assert.equal(db.prepare('SELECT max(seq) FROM snapshots').pluck().get(), 25);
});

test('writer thread: a peer ID that retention deleted and a later row names again reads back as that peer', (t) => {
  const dir = tempDataDir(t);
  const store = closeAtCleanup(dir, SqliteEventStore.open(dir));
  const seen = (peer: string, at: number): NewEvent => ({
    type: 'peer_seen',
    at,
    peer,
    key: null,
    lookup: null,
    data: { id: peer, addr: '10.0.0.1:4433' },
  });
  const [x, y] = ['aa'.repeat(32), 'bb'.repeat(32)];
  store.append(seen(x, 1));
  store.flush(); // the writer thread now knows x's number
  // As retention does: the rows go from event_rows, and with the last one naming x, x's
  // entry in the dictionary, so its number is free for the next new ID.
  store.db.prepare('DELETE FROM event_rows WHERE seq <= 1').run();
  const appended = [store.append(seen(y, 2)), store.append(seen(x, 3))];
  store.flush();
  assert.deepEqual(
    [...store.read()].map((e) => [e.seq, e.peer]),
    appended.map((e) => [e.seq, e.peer]),
  );
  assert.deepEqual(store.db.prepare('SELECT id FROM event_ids ORDER BY id').pluck().all(), [x, y]);
});

test('writer thread: it stops at rest, and the next append starts another that carries on the chain', (t) => {
  const dir = tempDataDir(t);
  const rest: { fire: (() => void) | null } = { fire: null };
  const store = closeAtCleanup(
    dir,
    SqliteEventStore.open(dir, {
      writerRestMs: 0,
      setRestTimer: (fire) => {
        rest.fire = fire;
        return { cancel: () => (rest.fire = null) };
      },
    }),
  );
  const events = mixedEvents(20);
  events.slice(0, 10).forEach((e) => store.append(e));
  store.flush();
  assert.equal(store.writerRunning, true);
  rest.fire!();
  assert.equal(store.writerRunning, false, 'nothing to write: the thread stopped');
  events.slice(10).forEach((e) => store.append(e));
  store.flush();
  assert.equal(store.writerRunning, true);
  assert.equal(committedCount(dir), 20);
  store.close();
  assert.ok(verifyLog(dir).ok);
});

test('writer thread: it does not stop while rows wait to be written', (t) => {
  const dir = tempDataDir(t);
  const rest: { fire: (() => void) | null } = { fire: null };
  const manual = manualSchedule();
  const store = closeAtCleanup(
    dir,
    SqliteEventStore.open(dir, {
      writerRestMs: 0,
      schedule: manual.schedule,
      setRestTimer: (fire) => {
        rest.fire = fire;
        return { cancel: () => (rest.fire = null) };
      },
    }),
  );
  const events = mixedEvents(20);
  events.slice(0, 10).forEach((e) => store.append(e));
  store.flush();
  events.slice(10).forEach((e) => store.append(e)); // queued, not handed over yet
  rest.fire!();
  assert.equal(store.writerRunning, true);
  assert.notEqual(rest.fire, null, 'checked again later');
  store.flush();
  assert.equal(committedCount(dir), 20);
});
