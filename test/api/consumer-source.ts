/**
 * The program the packed-package test compiles (strict TypeScript against the shipped .d.ts)
 * and runs in a fresh project: it imports only `tesseras-node`, runs three nodes over QUIC
 * on 127.0.0.1 and checks every exported capability. Kept as text so the repository's own
 * type check does not need dist/ built.
 */
export const CONSUMER_TS = String.raw`
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AbortError,
  BootstrapError,
  DataDirError,
  EVENT_TYPES,
  InvalidArgumentError,
  NodeStoppedError,
  TesdError,
  checkNodeOptions,
  lookupStepOf,
  openLog,
  startNode,
  type LookupStep,
  type NodeEvent,
  type TesserasNode,
} from 'tesseras-node';

const dir = mkdtempSync(join(tmpdir(), 'tesseras-consumer-'));
const nodes: TesserasNode[] = [];
const checks: string[] = [];
const check = (name: string): void => void checks.push(name);

async function rejects(promise: Promise<unknown>, Class: Function, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof Class, String(error));
    assert.ok(error instanceof TesdError);
    assert.equal(error.code, code);
    return true;
  });
}

try {
  const checked = checkNodeOptions({ dataDir: join(dir, 'checked'), admin: true, bootstrap: ['127.0.0.1:4433'] });
  assert.deepEqual(
    [checked.bind, checked.admin, checked.metrics, checked.difficulty, checked.bootstrap],
    ['0.0.0.0:4433', '127.0.0.1:4480', null, 8, ['127.0.0.1:4433']],
  );
  assert.throws(() => checkNodeOptions({ difficulty: 99 }), (e: unknown) => e instanceof InvalidArgumentError && e.code === 'config_invalid');
  check('checkNodeOptions validates like tesd run --check');

  const a = await startNode({ dataDir: join(dir, 'a'), bind: '127.0.0.1:0' });
  nodes.push(a);
  assert.match(a.id, /^[0-9a-f]{40}$/);
  assert.match(a.addr, /^127\.0\.0\.1:\d+$/);
  assert.notEqual(a.addr, '127.0.0.1:0');
  assert.equal(a.adminAddr, null);
  assert.equal(a.metricsAddr, null);
  check('port 0 reports the bound address; listeners off by default');

  const b = await startNode({ dataDir: join(dir, 'b'), bind: '127.0.0.1:0', bootstrap: [a.id + '@' + a.addr], admin: '127.0.0.1:0' });
  const c = await startNode({ dataDir: join(dir, 'c'), bind: '127.0.0.1:0', bootstrap: [a.addr], difficulty: 8, logger: null });
  nodes.push(b, c);
  assert.ok(a.peers().length >= 2 && b.peers().length >= 1 && c.peers().length >= 1);
  assert.match(b.adminAddr ?? '', /^127\.0\.0\.1:\d+$/);
  const adminStatus = (await (await fetch('http://' + b.adminAddr + '/status')).json()) as { id: string };
  assert.equal(adminStatus.id, b.id);
  assert.equal(b.status().id, b.id);
  assert.equal(b.status().peers, b.peers().length);
  const adminPeers = (await (await fetch('http://' + b.adminAddr + '/peers')).json()) as { peers: unknown[] };
  assert.deepEqual(adminPeers.peers.map((p) => (p as { id: string }).id).sort(), b.peers().map((p) => p.id).sort());
  check('three nodes joined; status() and peers() equal GET /status and GET /peers');

  const stored: NodeEvent[] = [];
  const watching = new AbortController();
  const watched = (async () => {
    try {
      for await (const event of a.events({ types: ['pointer_stored'], signal: watching.signal })) stored.push(event);
    } catch (error) {
      assert.ok(error instanceof AbortError);
    }
  })();

  const tessera = 'cd'.repeat(32);
  const published = await b.publish(tessera, { holders: [c.addr], signal: AbortSignal.timeout(10_000) });
  assert.match(published.key, /^[0-9a-f]{40}$/);
  assert.equal(published.seq, 1);
  assert.ok(published.storedAt >= 1 && published.lookupId > 0);
  check('publish with a holder given by address (its ID asked with a ping)');

  const found = await c.find(tessera, { signal: AbortSignal.timeout(10_000) });
  assert.equal(found.key, published.key);
  assert.equal(found.pointers.length, 1);
  assert.deepEqual(found.pointers[0]!.holders, [{ id: c.id, addr: c.addr }]);
  const byKey = await a.find(published.key, { all: true });
  assert.equal(byKey.pointers.length, 1);
  check('find by tessera and by key, --all');

  while (stored.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  watching.abort();
  await watched;
  assert.equal(stored[0]!.type, 'pointer_stored');
  assert.ok(EVENT_TYPES.includes(stored[0]!.type));
  check('events() streams recorded events live and ends on abort');

  const steps: LookupStep[] = [];
  for await (const step of c.lookup(b.id, { signal: AbortSignal.timeout(10_000) })) steps.push(step);
  assert.equal(steps[0]!.type, 'started');
  assert.equal(steps.at(-1)!.type, 'finished');
  assert.ok(steps.some((s) => s.type === 'step' && s.outcome === 'ok'));
  const finished = steps.at(-1)!;
  assert.ok(finished.type === 'finished' && finished.result.includes(b.id));
  check('lookup() yields started, steps and finished live');

  await rejects(c.find('abcd'), InvalidArgumentError, 'bad_key');
  await rejects(c.find(new Uint8Array(7)), InvalidArgumentError, 'bad_key');
  await rejects(b.publish('12'), InvalidArgumentError, 'bad_tessera');
  await rejects(b.publish(tessera, { holders: ['nowhere'] }), InvalidArgumentError, 'bad_address');
  await rejects(startNode({ dataDir: join(dir, 'x'), bind: 'localhost:1' }), InvalidArgumentError, 'bad_address');
  await rejects(startNode({ dataDir: join(dir, 'x'), bootstrap: ['xyz@127.0.0.1:1'] }), InvalidArgumentError, 'bad_address');
  await rejects(startNode({ dataDir: join(dir, 'a'), bind: '127.0.0.1:0' }), DataDirError, 'data_dir_locked');
  await rejects(c.find(tessera, { signal: AbortSignal.abort() }), AbortError, 'aborted');
  const iterator = c.lookup('00'.repeat(19));
  await rejects(iterator.next(), InvalidArgumentError, 'bad_target');
  check('bad input: typed errors with codes');

  // A bootstrap nobody answers rejects startNode (and frees the data directory), not the process.
  await rejects(
    startNode({ dataDir: join(dir, 'lonely'), bind: '127.0.0.1:0', bootstrap: ['127.0.0.1:9'] }),
    BootstrapError,
    'bootstrap_failed',
  );
  const lonely = await startNode({ dataDir: join(dir, 'lonely'), bind: '127.0.0.1:0', join: false });
  await lonely.stop();
  check('a failing bootstrap rejects startNode and releases the data directory');

  const live = c.events();
  await c.stop();
  await c.stop();
  assert.equal(c.stopped, true);
  assert.equal((await live.next()).done, true);
  await rejects(c.find(tessera), NodeStoppedError, 'node_stopped');
  await rejects(c.publish(tessera), NodeStoppedError, 'node_stopped');
  check('stop() twice is harmless; a stopped node rejects with node_stopped');

  const log = openLog(join(dir, 'c'));
  try {
    const counts = log.sql('SELECT type, count(*) AS n FROM events GROUP BY type ORDER BY type');
    assert.ok(counts.some((row) => row.type === 'node_stopped'));
    assert.deepEqual(log.sql('SELECT count(*) AS n FROM events WHERE type = ?', ['node_started']), [{ n: 1 }]);
    assert.throws(() => log.sql('DELETE FROM events'), (e: unknown) => e instanceof InvalidArgumentError && e.code === 'sql_write_refused');
    const startedSeq = log.events({ types: ['node_started'] })[0]!.seq;
    assert.equal(log.routingAt(startedSeq).peers, 0);
    assert.ok(log.routingAt().peers >= 1);
    assert.ok(log.routingAt(new Date()).peers >= 1);
    assert.equal(log.pointersAt().published.length, 0);
    const lookupId = found.lookupId;
    const replay = log.replay(lookupId);
    assert.equal(replay.id, lookupId);
    assert.ok(replay.steps.length >= 1);
    assert.equal(log.checkReplay(lookupId).matches, true);
    assert.match(log.replayHtml(lookupId), /<html/i);
    assert.ok(log.lookups({ kind: 'value' }).some((l) => l.id === lookupId));
    const firstStep = log.events({ lookup: lookupId, types: ['lookup_step'] })[0]!;
    assert.equal(lookupStepOf(firstStep)?.type, 'step');
    assert.equal(log.verify().ok, true);
  } finally {
    log.close();
  }
  check('openLog: sql, events, lookups, routingAt, pointersAt, replay, checkReplay, verify');

  const deep = 'tesseras-node/dist/src/dht/dht-node.js';
  await assert.rejects(import(deep), (e: unknown) => (e as { code?: string }).code === 'ERR_PACKAGE_PATH_NOT_EXPORTED');
  check('internal modules are not exported');
} finally {
  await Promise.all(nodes.map((node) => node.stop()));
  rmSync(dir, { recursive: true, force: true });
}
console.log(JSON.stringify({ ok: true, checks }));
`;

export const CONSUMER_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: false,
    types: ['node'],
    lib: ['ES2023'],
    outDir: 'out',
  },
  include: ['*.ts'],
};
