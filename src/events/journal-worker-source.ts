/**
 * The journal writer thread (journal-worker.ts starts it). It owns the write connection:
 * group commits, snapshots and WAL checkpoints all run here, so none of them stalls the event
 * loop. Plain CommonJS evaluated from a string, so it runs the same from src/ (tsx) and dist/.
 *
 * Protocol, on the MessagePort in workerData.port (FIFO both ways):
 *   in:  { kind: 'rows', rows: [[seq, at, type, peer, key, lookup, data, hash], ...] }
 *          (data and hash in their stored form, compact-data.ts; the view's trigger interns
 *          type, peer and key)
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
  const insert = db.prepare('INSERT INTO events (seq, at, type, peer, key, lookup, data, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  insertRows = db.transaction((rows) => {
    for (const r of rows) insert.run(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
  });
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

let committed = committedSeq;
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
