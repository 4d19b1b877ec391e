import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SqliteEventStore } from '../../src/events/sqlite-event-store.js';
import { verifyLog } from '../../src/events/verify-log.js';
import { Cluster, getJson, runTesd, waitFor, type Status, type TesdNode } from './tesd-process.js';

/**
 * Real processes: a restarted node falls back to `--bootstrap` when its restored peers do not
 * answer (SPEC §5, docs/cli.md), and `tesd identity --rotate` (docs/cli.md) makes a new
 * identity, refused while the node runs, evicting every peer of the old ID.
 */

interface IdentityView {
  id: string;
  pk: string;
  nonce: number;
  previous_id?: string | null;
  peers_evicted?: number;
}

function readLog<T>(dataDir: string, read: (log: SqliteEventStore) => T): T {
  const log = SqliteEventStore.openReadOnly(dataDir);
  try {
    return read(log);
  } finally {
    log.close();
  }
}

describe('restart and identity rotation of real tesd processes', () => {
  const cluster = new Cluster();
  let a: TesdNode, b: TesdNode, d: TesdNode;

  before(async () => {
    [a, b, d] = [await cluster.node('a'), await cluster.node('b'), await cluster.node('d')];
    await cluster.start(a);
    await cluster.start(b, [a]);
    await waitFor(
      'B to know A',
      async () => (await getJson<Status>(b.admin, '/status')).peers >= 1,
    );
  });
  after(() => cluster.cleanup());

  it('bootstraps from --bootstrap when none of the restored peers answers', async () => {
    b.child.kill('SIGTERM');
    assert.equal(await b.exited, 0);
    a.child.kill('SIGKILL'); // B's only restored peer is gone
    await a.exited;
    const statusD = await cluster.start(d);

    const restarted = await cluster.start(b, [d]);
    assert.equal(restarted.restored.peers, 1, 'A was restored from the log');
    assert.equal(restarted.bootstrap?.restored, 1);
    assert.equal(restarted.bootstrap?.peers, 1, 'then the one --bootstrap seed was used');
    assert.equal(restarted.bootstrap?.answered, 1, 'and it answered');
    const peers = await getJson<{ peers: Array<{ id: string }> }>(b.admin, '/peers');
    assert.ok(
      peers.peers.some((p) => p.id === statusD.id),
      'the seed is in the table',
    );
    const finished = readLog(b.dataDir, (log) => [...log.read({ type: 'bootstrap_finished' })]);
    assert.deepEqual(finished.at(-1)?.data, { peers: 1, restored: 0, answered: 1 });
  });

  it('identity --rotate is refused while the node runs, then makes a new identity', async () => {
    const running = await runTesd(['identity', '--rotate', '--data-dir', b.dataDir]);
    assert.notEqual(running.code, 0);
    assert.match(running.stderr, /^tesd: data directory .* is in use by another tesd \(pid \d+\)/);
    assert.equal(running.stderr.trim().split('\n').length, 1);

    const before = JSON.parse(
      (await runTesd(['identity', '--data-dir', b.dataDir, '--json'])).stdout,
    ) as IdentityView;
    const peersBefore = (await getJson<Status>(b.admin, '/status')).peers;
    assert.ok(peersBefore >= 1);
    b.child.kill('SIGTERM');
    assert.equal(await b.exited, 0);
    const seqBefore = readLog(b.dataDir, (log) => log.lastSeq);

    const rotated = await runTesd(['identity', '--rotate', '--data-dir', b.dataDir, '--json']);
    assert.equal(rotated.code, 0, rotated.stderr);
    const view = JSON.parse(rotated.stdout) as IdentityView;
    assert.equal(view.previous_id, before.id);
    assert.notEqual(view.id, before.id);
    assert.notEqual(view.pk, before.pk);
    assert.equal(view.peers_evicted, peersBefore);
    const shown = JSON.parse(
      (await runTesd(['identity', '--data-dir', b.dataDir, '--json'])).stdout,
    ) as IdentityView;
    assert.equal(shown.id, view.id, '`tesd identity` reads the new identity');

    const evicted = readLog(b.dataDir, (log) =>
      [...log.read({ afterSeq: seqBefore, type: 'peer_evicted' })].map(
        (e) => (e.data as { reason: string }).reason,
      ),
    );
    assert.deepEqual(evicted, Array<string>(peersBefore).fill('identity_rotated'));
    assert.ok(verifyLog(b.dataDir).ok, 'the log still verifies');

    const restarted = await cluster.start(b, [d]);
    assert.equal(restarted.id, view.id, 'the node starts with the new ID');
    assert.equal(restarted.restored.peers, 0, 'no peer of the old ID is restored');
    assert.equal(restarted.bootstrap?.answered, 1);
  });
});
