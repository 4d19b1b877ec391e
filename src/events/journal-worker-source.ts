/**
 * The journal writer thread (journal-worker.ts starts it). It owns the write connection:
 * group commits, snapshots and WAL checkpoints all run here, so none of them stalls the event
 * loop. Plain CommonJS evaluated from a string, so it runs the same from src/ (tsx) and dist/.
 *
 * Protocol, on the MessagePort in workerData.port (FIFO both ways):
 *   in:  { kind: 'rows', rows: [[seq, at, type, peer, key, lookup, data, blob, hash], ...] }
 *          (compact-data.ts, handedRow: data as the encoded text when blob is true, stored as
 *          its UTF-8 bytes, else verbatim; the hex hash stored as its 32 bytes; type, peer
 *          and key as text, interned here into event_types and event_ids)
 *        { kind: 'snapshot', id, snapshot, keep }   after the rows it covers
 *        { kind: 'inject', error: { message, code } | null }   fault injection for tests
 *        { kind: 'close' }
 *   out: { kind: 'committed', seq } | { kind: 'failed', seq, error }
 *        { kind: 'snapshot', id, error: string | null }
 * Rows are applied only in seq order: after a failed commit, later batches already queued
 * are ignored until the main thread sends the uncommitted rows again from the failed seq.
 * After every message out, workerData.signal[0] is bumped and notified, so a main thread
 * blocked in a synchronous flush wakes up and reads the port with receiveMessageOnPort.
 */
export const JOURNAL_WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const path = require('node:path');
const { port, file, dataDir, cacheMib, busyTimeoutMs, committedSeq, signal, checkpointRows, idleCheckpointMs, sqlitePath, commitReportFd } = workerData;
// Resolved by the main thread: an eval'd worker resolves bare names from the working directory.
const Database = require(sqlitePath);
const HASH_HEX = /^[0-9a-f]{64}$/; // as compact-data.ts encodeHash
const ID_CACHE_ENTRIES = 8192; // peer IDs and keys remembered (~1 MB); the rest are looked up

// An error at open (the file gone, no permission) answers every later write, so a main
// thread blocked in a synchronous flush hears of it (it cannot see the Worker's error event).
let fatal = null;
let db = null;
let insertRows = null;
let saveSnapshot = null;
try {
  db = new Database(file, { fileMustExist: true });
  db.pragma('busy_timeout = ' + busyTimeoutMs); // waiting here stalls no one
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('cache_size = ' + -cacheMib * 1024);
  db.pragma('wal_autocheckpoint = 10000'); // a safety net: checkpoints are scheduled below
  db.pragma('journal_size_limit = ' + 64 * 1024 * 1024);
  insertRows = rowWriter(db);
  const upsert = db.prepare('INSERT OR REPLACE INTO snapshots (seq, hash, at, version, state, signature) VALUES (@seq, @hash, @at, @version, @state, @signature)');
  const prune = db.prepare('DELETE FROM snapshots WHERE seq NOT IN (SELECT seq FROM snapshots ORDER BY seq DESC LIMIT ?)');
  saveSnapshot = db.transaction((s, keep) => {
    upsert.run(s);
    prune.run(keep);
  });
} catch (error) {
  fatal = 'journal writer cannot open ' + file + ': ' + describe(error);
  try { db?.close(); } catch {}
  db = null;
}

// Straight into event_rows, with the type, peer and key interned here through a cache: the
// view's INSTEAD OF trigger does the same in SQL at about twice the cost of the whole insert.
// The cache holds only what committed transactions wrote, and it is dropped whenever another
// connection committed since our last transaction (PRAGMA data_version, read under the write
// lock): retention deletes the ids no row names any more, and a number could be reused.
function rowWriter(db) {
  const insertRow = db.prepare('INSERT INTO event_rows (seq, at, type, peer, key, lookup, data, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const typeCode = db.prepare('SELECT code FROM event_types WHERE name = ?').pluck();
  const addType = db.prepare('INSERT INTO event_types (name) VALUES (?)');
  const idNumber = db.prepare('SELECT n FROM event_ids WHERE id = ?').pluck();
  const addId = db.prepare('INSERT INTO event_ids (id) VALUES (?)');
  const dataVersion = db.prepare('PRAGMA data_version').pluck();
  let version = null;
  let types = new Map();
  let ids = new Map();
  let added = [];
  function intern(cache, text, find, add) {
    let n = cache.get(text);
    if (n !== undefined) return n;
    n = find.get(text);
    if (n === undefined) n = Number(add.run(text).lastInsertRowid);
    added.push(cache, text, n);
    return n;
  }
  const write = db.transaction((rows) => {
    const now = dataVersion.get();
    if (now !== version) {
      types = new Map();
      ids = new Map();
      version = now;
    }
    for (const r of rows)
      insertRow.run(
        r[0],
        r[1],
        intern(types, r[2], typeCode, addType),
        r[3] === null ? null : intern(ids, r[3], idNumber, addId),
        r[4] === null ? null : intern(ids, r[4], idNumber, addId),
        r[5],
        r[7] ? Buffer.from(r[6], 'utf8') : r[6],
        HASH_HEX.test(r[8]) ? Buffer.from(r[8], 'hex') : r[8],
      );
  }).immediate;
  return (rows) => {
    added = [];
    write(rows);
    // Committed: what this transaction looked up or added is now true outside it too.
    if (ids.size > ID_CACHE_ENTRIES) ids = new Map();
    for (let i = 0; i < added.length; i += 3) added[i].set(added[i + 1], added[i + 2]);
  };
}

// The database's own tail, if a thread before this one died after a commit it did not report.
let committed = Math.max(committedSeq, db === null ? 0 : db.prepare('SELECT max(seq) FROM event_rows').pluck().get() ?? 0);
let injected = null;
let rowsSinceCheckpoint = 0;
let idleTimer = null;

function send(message) {
  port.postMessage(message);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
}

function describe(error) {
  const code = typeof error.code === 'string' ? error.code + ': ' : '';
  return code + (error.message || String(error));
}

function checkpoint() {
  rowsSinceCheckpoint = 0;
  if (db === null) return;
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // busy or an I/O error: SQLite's own checkpoint at commit is the safety net
  }
}

// By WAL size (rows since the last one) while busy, once when writes stop; never on a timer
// while nothing is written.
function afterCommit(rows) {
  rowsSinceCheckpoint += rows;
  if (rowsSinceCheckpoint >= checkpointRows) checkpoint();
  if (idleTimer !== null) clearTimeout(idleTimer);
  idleTimer = setTimeout(() => {
    idleTimer = null;
    if (rowsSinceCheckpoint > 0) checkpoint();
  }, idleCheckpointMs);
}

function writeRows(all) {
  if (fatal !== null) {
    send({ kind: 'failed', seq: committed + 1, error: fatal });
    return;
  }
  const rows = all.filter((r) => r[0] > committed);
  // Rows a thread before this one committed without telling (it died): committed all the same.
  if (rows.length === 0) send({ kind: 'committed', seq: committed });
  if (rows.length === 0 || rows[0][0] !== committed + 1) return; // a resend follows a failure
  try {
    if (injected !== null) throw Object.assign(new Error(injected.message), { code: injected.code });
    insertRows(rows);
  } catch (error) {
    send({ kind: 'failed', seq: committed + 1, error: describe(error) });
    return;
  }
  committed = rows[rows.length - 1][0];
  if (commitReportFd !== null) fs.writeSync(commitReportFd, 'committed ' + committed + '\\n');
  send({ kind: 'committed', seq: committed });
  afterCommit(rows.length);
}

function writeCheckpointFile(checkpoint) {
  const target = path.join(dataDir, 'events.checkpoint');
  const temp = target + '.tmp';
  const fd = fs.openSync(temp, 'w', 0o644);
  try {
    fs.writeSync(fd, JSON.stringify(checkpoint) + '\\n');
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, target);
  const dir = fs.openSync(dataDir, 'r');
  try {
    fs.fsyncSync(dir);
  } finally {
    fs.closeSync(dir);
  }
}

function writeSnapshot(id, snapshot, keep) {
  if (fatal !== null) {
    send({ kind: 'snapshot', id, error: fatal });
    return;
  }
  if (snapshot.seq > committed) {
    send({ kind: 'snapshot', id, error: 'the events it covers are not committed' });
    return;
  }
  try {
    if (injected !== null) throw Object.assign(new Error(injected.message), { code: injected.code });
    // The one FULL commit: the point a later loss is detected against.
    db.pragma('synchronous = FULL');
    try {
      saveSnapshot(snapshot, keep);
    } finally {
      db.pragma('synchronous = NORMAL');
    }
    writeCheckpointFile({ seq: snapshot.seq, hash: snapshot.hash, signature: snapshot.signature });
  } catch (error) {
    send({ kind: 'snapshot', id, error: describe(error) });
    return;
  }
  send({ kind: 'snapshot', id, error: null });
}

port.on('message', (message) => {
  if (message.kind === 'rows') writeRows(message.rows);
  else if (message.kind === 'snapshot') writeSnapshot(message.id, message.snapshot, message.keep);
  else if (message.kind === 'inject') injected = message.error;
  else if (message.kind === 'close') {
    if (idleTimer !== null) clearTimeout(idleTimer);
    db?.close();
    send({ kind: 'closed' });
    port.close();
  }
});
`;
