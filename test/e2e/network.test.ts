import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SqliteEventStore } from '../../src/events/sqlite-event-store.js';
import { Cluster, getJson, runTesd, waitFor, type Status, type TesdNode } from './tesd-process.js';

interface FindAnswer {
  key: string;
  pointers: Array<{ tessera: string; holders: Array<{ id: string; addr: string }> }>;
}

describe('a network of real tesd processes over QUIC on loopback', () => {
  const cluster = new Cluster();
  let a: TesdNode, b: TesdNode, c: TesdNode;
  let statusA: Status;
  const tessera = randomBytes(32).toString('hex');

  before(async () => {
    [a, b, c] = [await cluster.node('a'), await cluster.node('b'), await cluster.node('c')];
    statusA = await cluster.start(a);
    await Promise.all([cluster.start(b, [a]), cluster.start(c, [a])]);
  });
  after(() => cluster.cleanup());

  it('bootstraps three nodes, publishes on A with `tesd publish` and finds from C', async () => {
    await waitFor(
      'A to know B and C',
      async () => (await getJson<Status>(a.admin, '/status')).peers >= 2,
    );
    const published = await runTesd([
      'publish',
      '--admin',
      a.admin,
      '--data-dir',
      a.dataDir,
      tessera,
    ]);
    assert.equal(published.code, 0, published.stderr);
    assert.match(published.stdout, /^published key [0-9a-f]{40} seq 1, stored at [1-3] nodes/);

    const found = await getJson<FindAnswer>(c.admin, `/find/${tessera}`);
    assert.equal(found.pointers.length, 1);
    assert.equal(found.pointers[0]!.tessera, tessera);
    assert.deepEqual(found.pointers[0]!.holders, [{ id: statusA.id, addr: a.bind }]);
  });

  it('refuses a second node on a data directory in use, in one line', async () => {
    const second = await runTesd(['run', '--data-dir', a.dataDir, '--bind', '127.0.0.1:0']);
    assert.notEqual(second.code, 0);
    assert.match(second.stderr, /^tesd: data directory .* is in use by another tesd \(pid \d+\)/);
    assert.equal(second.stderr.trim().split('\n').length, 1);
  });

  it('brings B back after SIGKILL without --bootstrap: peers restored from its log', async () => {
    b.child.kill('SIGKILL');
    await b.exited;
    const restarted = await cluster.start(b);
    assert.ok(restarted.restored.peers >= 2, `restored ${restarted.restored.peers} peers`);
    assert.equal(restarted.bootstrap?.peers, 0, 'no bootstrap peers given');
    assert.ok((restarted.bootstrap?.answered ?? 0) >= 1, 'restored peers answered');
    assert.match(b.output, /restored \d+ peers/);

    const found = await getJson<FindAnswer>(b.admin, `/find/${tessera}?all=1`);
    assert.equal(found.pointers[0]?.tessera, tessera);
  });

  it('stops on SIGTERM with exit 0 and node_stopped as the last word', async () => {
    c.child.kill('SIGTERM');
    assert.equal(await c.exited, 0);
    assert.match(c.output, /stopped\n$/);
    const log = SqliteEventStore.openReadOnly(c.dataDir);
    try {
      const last = [...log.read({ afterSeq: log.lastSeq - 2 })].map((e) => e.type);
      assert.deepEqual(last, ['snapshot_written', 'node_stopped']);
    } finally {
      log.close();
    }
  });
});
