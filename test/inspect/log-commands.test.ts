import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteEventStore } from '../../src/events/sqlite-event-store.js';
import { verifyLog } from '../../src/events/verify-log.js';
import { queryEvents } from '../../src/inspect/event-query.js';
import { withLog } from '../../src/inspect/open-log.js';
import { runReadOnlySql } from '../../src/inspect/sql-query.js';
import { parseTime } from '../../src/inspect/time-spec.js';
import { startLogWriter } from '../support/log-writer.js';
import { withTimeout } from '../support/requirement.js';
import { seeded } from '../support/seed.js';
import { runCli, startCli } from './cli-harness.js';
import { recordLog, type RecordedLog } from './recorded-log.js';

describe('tesd sql, events and verify on a recorded log', () => {
  let log: RecordedLog;
  const cleanups: Array<() => void> = [];
  before(() => seeded(13, (seed) => (log = recordLog({ after: (fn) => cleanups.push(fn) }, seed))));
  after(() => cleanups.forEach((fn) => fn()));

  /** A copy of the (closed) log that a test may damage. */
  function copyLog(t: { after(fn: () => void): void }): string {
    log.closeWriter();
    const dir = mkdtempSync(join(tmpdir(), 'tesd-verify-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    cpSync(log.dataDir, dir, { recursive: true });
    return dir;
  }

  test('sql answers SELECTs while the node still writes (WAL), as table, JSON and CSV', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'tesd-sql-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const writer = await startLogWriter(t, dir, { burst: 10, pauseMs: 5 });
    const before = await writer.waitForCommitted(100);
    const count = async (): Promise<{ n: number; last: number }> => {
      const run = await runCli([
        'sql',
        'SELECT count(*) AS n, max(seq) AS last FROM events',
        '--json',
        '--data-dir',
        dir,
      ]);
      assert.equal(run.exitCode, 0, run.err);
      return (JSON.parse(run.out) as Array<{ n: number; last: number }>)[0]!;
    };
    const first = await count();
    assert.equal(first.n, first.last, 'a consistent, gap-free snapshot');
    assert.ok(first.n >= before, `sees every commit made before it (${first.n} >= ${before})`);
    await writer.waitForCommitted(first.n + 1);
    const second = await count();
    assert.equal(second.n, second.last);
    assert.ok(second.n > first.n, `a later SELECT sees the new commits (${second.n} > ${first.n})`);

    const table = await runCli([
      'sql',
      'SELECT count(*) AS n FROM events WHERE seq <= 100',
      '--data-dir',
      dir,
    ]);
    assert.equal(table.exitCode, 0, table.err);
    assert.match(table.out, /^ *n\n-+\n *100\n\(1 row\)/);
    const asJson = await runCli([
      'sql',
      "SELECT seq, type FROM events WHERE type = 'node_started'",
      '--json',
      '--data-dir',
      dir,
    ]);
    assert.deepEqual(JSON.parse(asJson.out), [{ seq: 1, type: 'node_started' }]);
    const csv = await runCli(['sql', "SELECT 'a,b' AS x, 2 AS y", '--csv', '--data-dir', dir]);
    assert.equal(csv.out, 'x,y\r\n"a,b",2\r\n');
    const still = writer.committed;
    assert.ok(still > before, `the writer went on writing throughout (${before} -> ${still})`);
    await writer.stop();
  });

  test('sql refuses every statement that would write, with a clear message', async () => {
    for (const statement of [
      'DELETE FROM events',
      "UPDATE events SET data = '{}' WHERE seq = 1",
      "INSERT INTO log_meta VALUES ('x', 'y')",
      'DROP VIEW events',
      'DROP TABLE event_rows',
      'CREATE TABLE t (x)',
      'PRAGMA user_version = 7',
    ]) {
      const run = await runCli(['sql', statement, '--data-dir', log.dataDir]);
      assert.equal(run.exitCode, 1, statement);
      assert.match(run.err, /^tesd: tesd sql is read-only/, statement);
    }
    const count = withLog(log.dataDir, (l) => runReadOnlySql(l.db, 'SELECT count(*) FROM events'));
    assert.equal(count.rows[0]![0], log.sim.nodes[4]!.node.store.lastSeq, 'nothing deleted');
    const missing = await runCli(['sql', 'SELECT 1', '--data-dir', join(log.dataDir, 'nope')]);
    assert.equal(missing.exitCode, 1);
    assert.match(missing.err, /^tesd: cannot open .*events\.db/);
  });

  test('events filters by type, peer prefix, lookup and time', () => {
    withLog(log.dataDir, (l) => {
      const steps = queryEvents(l.db, { types: ['lookup_step'] });
      assert.ok(steps.length > 10 && steps.every((e) => e.type === 'lookup_step'));
      const peer = steps[0]!.peer!;
      const byPeer = queryEvents(l.db, { peerPrefix: peer.slice(0, 5).toUpperCase() });
      assert.ok(byPeer.length > 0 && byPeer.every((e) => e.peer?.startsWith(peer.slice(0, 5))));
      const lookup = log.lookups[0]!.id;
      const ofLookup = queryEvents(l.db, { lookup });
      assert.equal(ofLookup.filter((e) => e.type === 'rpc_sent').length, log.lookups[0]!.rpcs);
      const last = queryEvents(l.db, {}, { limit: 3 });
      assert.deepEqual(
        last.map((e) => e.seq),
        [0, 1, 2].map((i) => l.store.lastSeq - 2 + i),
      );
      const lastAt = last[2]!.at;
      const recent = queryEvents(l.db, { sinceMs: parseTime('1s', lastAt) });
      assert.ok(recent.length > 0 && recent.every((e) => e.at >= lastAt - 1_000));
    });
    assert.equal(parseTime('2h', 10_000_000), 10_000_000 - 7_200_000);
    assert.equal(parseTime('2025-01-31T12:00:00Z', 0), Date.UTC(2025, 0, 31, 12));
  });

  test('events --follow prints events as they are appended, until Ctrl-C', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'tesd-follow-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const store = SqliteEventStore.open(dir, { checkpointInWorker: false });
    t.after(() => store.close());
    const event = (reason: string) =>
      ({
        type: 'node_stopped',
        at: 1_700_000_000_000,
        peer: null,
        key: null,
        lookup: null,
        data: { reason },
      }) as const;
    store.append(event('first'));
    store.flush();
    const run = startCli(['events', '--follow', '--poll-ms', '50', '--json', '--data-dir', dir]);
    await run.waitForOutput('"first"');
    store.append(event('second'));
    store.append(event('third'));
    store.flush();
    await run.waitForOutput('"third"');
    run.interrupt();
    const { out, exitCode } = await withTimeout(run.done, 10_000, 'events --follow to stop');
    assert.equal(exitCode, 0);
    const lines = out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { seq: number });
    assert.deepEqual(
      lines.map((e) => e.seq),
      [1, 2, 3],
    );
  });

  test('verify passes on the recorded log', async () => {
    const run = await runCli(['verify', '--data-dir', log.dataDir]);
    assert.equal(run.exitCode, 0, run.out + run.err);
    assert.match(run.out, /^ok: \d+ events/);
  });

  for (const [name, damage, firstBad] of [
    [
      'an edited row',
      (db: Database.Database) =>
        db.prepare('UPDATE events SET data = \'{"reason":"x"}\' WHERE seq = 60').run(),
      60,
    ],
    [
      'a deleted row',
      (db: Database.Database) => db.prepare('DELETE FROM events WHERE seq = 60').run(),
      60,
    ],
    [
      'two reordered rows',
      (db: Database.Database) => {
        const columns = 'at, type, peer, key, lookup, data, hash';
        db.exec(`
          CREATE TEMP TABLE swap AS SELECT seq, ${columns} FROM events WHERE seq IN (60, 61);
          UPDATE events SET (${columns}) = (SELECT ${columns} FROM swap WHERE swap.seq = 121 - events.seq)
            WHERE seq IN (60, 61);`);
      },
      60,
    ],
  ] as const) {
    test(`verify detects ${name} and names the first bad seq`, async (t) => {
      const dir = copyLog(t);
      const db = new Database(join(dir, 'events.db'));
      damage(db);
      db.close();
      const report = verifyLog(dir);
      assert.equal(report.ok, false);
      assert.equal(report.firstBadSeq, firstBad);
      const run = await runCli(['verify', '--data-dir', dir]);
      assert.equal(run.exitCode, 1);
      assert.match(run.out, new RegExp(`^BROKEN: .*first bad seq ${firstBad}`));
    });
  }
});
