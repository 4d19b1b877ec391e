/**
 * `npm run bench:journal`: how fast the SQLite event store takes a realistic event mix, what
 * plain better-sqlite3 does with the same rows, what each index costs, the longest event-loop
 * stall (appends, group commits, snapshots, retention) and the size of 1M events.
 * A human summary, then one JSON line. JOURNAL_EVENTS=200000 for a quicker run.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type Database from 'better-sqlite3';
import { seededRandom } from '../src/core/random.js';
import type { NewEvent } from '../src/events/event-types.js';
import { storedRow, type InsertedRow } from '../src/events/compact-data.js';
import { chainHash, GENESIS_HASH } from '../src/events/hash-chain.js';
import { migrationsDir } from '../src/events/migrations.js';
import { applyRetention } from '../src/events/retention.js';
import { measureJournalOverhead, measureRestart } from './journal-engine.js';
import { SqliteEventStore } from '../src/events/sqlite-event-store.js';
import { eventMix } from '../test/events/event-mix.js';
import { snapshotAt } from '../test/events/store-fixtures.js';

const EVENTS = Number(process.env.JOURNAL_EVENTS ?? 1_000_000);
const INDEX_ROWS = Math.min(EVENTS, 200_000);
const CHUNK = 10_000; // events generated at a time, so a million never sit in memory
const BURST = Number(process.env.JOURNAL_BURST ?? 50); // appends per turn of the event loop
const SNAPSHOT_EVERY = 100_000;
const SNAPSHOT_STATE = JSON.stringify({ v: 1, peers: 'x'.repeat(500_000) }); // ~0.5 MB
const START_MS = 1_700_000_000_000;
const DEFAULT_RETENTION_BYTES = 1024 ** 3;
const DAY_S = 86_400;

/** Days of history the default retention keeps at `rps` served RPCs/s (one event each). */
function daysAt(rps: number, bytesPerEvent: number): number {
  return DEFAULT_RETENTION_BYTES / (bytesPerEvent * rps * DAY_S);
}

function* eventChunks(count: number): Generator<NewEvent[]> {
  const random = seededRandom(7);
  const mix = eventMix(() => random.float());
  for (let done = 0; done < count; done += CHUNK) {
    const n = Math.min(CHUNK, count - done);
    yield Array.from({ length: n }, (_, i) => mix.next(START_MS + (done + i) * 3));
  }
}

/** Rows in the form the store's writers insert them (data and hash encoded, compact-data.ts). */
function* rowChunks(count: number): Generator<InsertedRow[]> {
  let seq = 0;
  let hash = GENESIS_HASH;
  for (const events of eventChunks(count))
    yield events.map((e) => {
      const row = {
        seq: ++seq,
        at: e.at,
        type: e.type,
        peer: e.peer,
        key: e.key,
        lookup: e.lookup,
        data: JSON.stringify(e.data),
      };
      hash = chainHash(hash, row);
      return storedRow({ ...row, hash });
    });
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tesd-bench-'));
}

function dbBytes(db: Database.Database): number {
  return (
    (db.pragma('page_count', { simple: true }) as number) *
    (db.pragma('page_size', { simple: true }) as number)
  );
}

/** Plain better-sqlite3: the same schema (minus `drop` indexes), pragmas and batches. */
function rawInsert(count: number, keepIndexes: (name: string) => boolean): number {
  const dir = tempDir();
  const store = SqliteEventStore.open(dir); // same file layout, pragmas and migrations
  const db = store.db;
  for (const name of ['events_by_type', 'events_by_peer', 'events_by_key', 'events_by_lookup'])
    if (!keepIndexes(name)) db.exec(`DROP INDEX ${name}`);
  const insert = db.prepare('INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const batch = db.transaction((rows: InsertedRow[]) => {
    for (const r of rows) insert.run(...r);
  });
  let ms = 0;
  for (const rows of rowChunks(count)) {
    const start = performance.now();
    for (let i = 0; i < rows.length; i += 1_000) batch(rows.slice(i, i + 1_000));
    ms += performance.now() - start;
  }
  store.close();
  rmSync(dir, { recursive: true, force: true });
  return count / (ms / 1000);
}

function jsCostUs(count: number): number {
  let hash = GENESIS_HASH;
  let ms = 0;
  for (const events of eventChunks(count)) {
    const start = performance.now();
    let seq = 0;
    for (const e of events)
      hash = chainHash(hash, { ...e, seq: ++seq, data: JSON.stringify(e.data) });
    ms += performance.now() - start;
  }
  return (ms * 1000) / count;
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface AppendRun {
  eps: number;
  stallMs: number;
  retentionStallMs: number;
  retentionRows: number;
  dbMb: number;
  snapshotMs: number;
  flushMaxMs: number;
  /** Bytes per event of each table and index (dbstat), largest first. */
  bytesByObject: Record<string, number>;
}

/** What each table and index costs per event: pages in use, from SQLite's dbstat table. */
function bytesPerEventByObject(db: Database.Database, count: number): Record<string, number> {
  const rows = db
    .prepare('SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC')
    .all() as Array<{ name: string; bytes: number }>;
  return Object.fromEntries(
    rows.filter((r) => r.bytes / count >= 0.05).map((r) => [r.name, round(r.bytes / count, 1)]),
  );
}

async function appendRun(count: number): Promise<AppendRun> {
  const dir = tempDir();
  // Commits run in the store's writer thread: the event loop sees only appends, the hand-over
  // of batches and the snapshot's hand-over, which is what the stall monitor measures.
  const store = SqliteEventStore.open(dir);
  const loop = monitorEventLoopDelay({ resolution: 1 });
  let ms = 0;
  let snapshotMs = 0;
  for (const events of eventChunks(count)) {
    // Timed and monitored from here: generating the chunk is the bench's work, not the store's.
    const start = performance.now();
    loop.enable();
    for (let i = 0; i < events.length; i += BURST) {
      for (let j = i; j < i + BURST && j < events.length; j++) store.append(events[j]!);
      await yieldToLoop(); // the automatic group commit runs here
    }
    ms += performance.now() - start;
    if (store.lastSeq % SNAPSHOT_EVERY === 0) {
      const start = performance.now();
      store.saveSnapshot({ ...snapshotAt(store), state: SNAPSHOT_STATE });
      snapshotMs = Math.max(snapshotMs, performance.now() - start);
    }
    loop.disable();
  }
  const start = performance.now();
  store.flush(); // the one wait: everything appended is durable when the clock stops
  const flushMaxMs = performance.now() - start;
  ms += flushMaxMs;
  const stallMs = loop.max / 1e6;
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  const dbMb = dbBytes(store.db) / 1e6;
  const bytesByObject = bytesPerEventByObject(store.db, count);

  store.saveSnapshot(snapshotAt(store));
  await store.settled();
  const retentionLoop = monitorEventLoopDelay({ resolution: 1 });
  retentionLoop.enable();
  const retention = await applyRetention(store.db, {
    nowMs: START_MS,
    policy: { maxBytes: Math.floor((dbMb * 1e6) / 2) },
  });
  retentionLoop.disable();
  store.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    eps: count / (ms / 1000),
    stallMs,
    retentionStallMs: retentionLoop.max / 1e6,
    retentionRows: retention.deletedRows,
    dbMb: (dbMb * 1_000_000) / count,
    snapshotMs,
    flushMaxMs,
    bytesByObject,
  };
}

const round = (n: number, digits = 0): number => Number(n.toFixed(digits));

async function main(): Promise<void> {
  // Sanity: the bench reads the same migrations as the node.
  readFileSync(join(migrationsDir(), '0001_events.sql'), 'utf8');
  const js = jsCostUs(Math.min(EVENTS, 200_000));
  const run = await appendRun(EVENTS);
  const raw = rawInsert(EVENTS, () => true);
  const indexCost: Record<string, number> = {
    none: round(rawInsert(INDEX_ROWS, () => false)),
    type: round(rawInsert(INDEX_ROWS, (n) => n === 'events_by_type')),
    peer: round(rawInsert(INDEX_ROWS, (n) => n === 'events_by_peer')),
    key: round(rawInsert(INDEX_ROWS, (n) => n === 'events_by_key')),
    lookup: round(rawInsert(INDEX_ROWS, (n) => n === 'events_by_lookup')),
  };
  const maxStallMs = Math.max(run.stallMs, run.retentionStallMs);
  const restart = measureRestart(EVENTS);
  const overhead = measureJournalOverhead();
  console.log(`journal bench: ${EVENTS.toLocaleString()} events (rpc/peer_seen/lookup_step mix)`);
  console.log(
    `  SqliteEventStore.append   ${round(run.eps).toLocaleString()} events/s (JSON + hash chain: ${round(js, 1)} us/event)`,
  );
  console.log(
    `  raw better-sqlite3 insert ${round(raw).toLocaleString()} rows/s, same table and indexes (ratio ${round(run.eps / raw, 2)})`,
  );
  console.log(
    `  rows/s with one index (${INDEX_ROWS.toLocaleString()} rows): ${JSON.stringify(indexCost)}`,
  );
  console.log(
    `  longest event-loop stall: ${round(run.stallMs, 1)} ms appending, ${round(run.retentionStallMs, 1)} ms in retention (${run.retentionRows.toLocaleString()} rows deleted), snapshot of 0.5 MB handed over in ${round(run.snapshotMs, 1)} ms, final flush wait ${round(run.flushMaxMs, 1)} ms`,
  );
  console.log(
    `  ${round(run.dbMb)} bytes per event on disk; the default 1 GiB retention holds ${round(daysAt(10, run.dbMb), 1)} days at 10 RPC/s, ${round(daysAt(100, run.dbMb), 1)} at 100, ${round(daysAt(1000, run.dbMb), 2)} at 1,000`,
  );
  console.log(`  bytes per event by table and index: ${JSON.stringify(run.bytesByObject)}`);
  console.log(
    `  restart on ${EVENTS.toLocaleString()} events (${restart.peers} peers, ${restart.pointers.toLocaleString()} pointers): ${round(restart.snapshotMs)} ms from a snapshot, ${round(restart.replayMs)} ms replaying everything; opening a log with no checkpoint verifies all of it in ${round(restart.verifyFullMs)} ms`,
  );
  console.log(
    `  simulated RPCs/s: ${round(overhead.memoryRps)} in memory, ${round(overhead.sqliteRps)} journaled to SQLite (ratio ${round(overhead.ratio, 2)})`,
  );
  console.log(
    JSON.stringify({
      bench: 'journal',
      events: EVENTS,
      append_eps: round(run.eps),
      raw_insert_eps: round(raw),
      append_to_raw_ratio: round(run.eps / raw, 2),
      js_us_per_event: round(js, 2),
      max_stall_ms: round(maxStallMs, 1),
      append_stall_ms: round(run.stallMs, 1),
      retention_stall_ms: round(run.retentionStallMs, 1),
      snapshot_ms: round(run.snapshotMs, 1),
      final_flush_ms: round(run.flushMaxMs, 1),
      db_mb_1m: round(run.dbMb),
      bytes_per_event: round(run.dbMb),
      days_at_100_rps: round(daysAt(100, run.dbMb), 2),
      bytes_per_event_by_object: run.bytesByObject,
      index_rows_per_s: indexCost,
      restart_ms_1m_snapshot: round(restart.snapshotMs),
      restart_ms_1m_replay: round(restart.replayMs),
      verify_at_open_no_checkpoint_ms: round(restart.verifyFullMs),
      restart_state: { peers: restart.peers, pointers: restart.pointers },
      journal_overhead_ratio: round(overhead.ratio, 2),
      sim_rpc_per_s: { memory: round(overhead.memoryRps), sqlite: round(overhead.sqliteRps) },
    }),
  );
}

await main();
