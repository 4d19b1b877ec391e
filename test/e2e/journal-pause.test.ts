import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { generateIdentity } from '../../src/cli/identity-file.js';
import { signPointer, type Pointer } from '../../src/core/pointer.js';
import { pointerToWire } from '../../src/dht/wire-peers.js';
import { SqliteEventStore } from '../../src/events/sqlite-event-store.js';
import { decodeFrame, encodeFrame, isDecodeError } from '../../src/net/frame-codec.js';
import { ErrorCode, type Request, type WireMessage } from '../../src/net/messages.js';
import { QuicTransport } from '../../src/net/quic-transport.js';
import { requirement } from '../support/requirement.js';
import { adminToken, Cluster, getJson, waitFor, type TesdNode } from './tesd-process.js';

/**
 * SPEC §5 "Degraded, never inconsistent" against a real node: when its journal cannot write
 * (the database locked by another process, or read-only) the node still answers reads, refuses
 * stores with error 4 and publishes with 503, records nothing, and resumes once it can write.
 */

interface JournalStatus {
  journal: { paused: boolean; error: string | null };
  pointers: number;
  events: { last_seq: number };
}

describe('a real node whose journal cannot write', () => {
  const cluster = new Cluster();
  let node: TesdNode;
  let client: QuicTransport;
  const { key, identity } = generateIdentity(8);
  let rid = 0;
  const nowS = (): number => Math.floor(Date.now() / 1000);

  before(async () => {
    node = await cluster.node('paused');
    await cluster.start(node);
    client = await QuicTransport.create({ bind: '127.0.0.1:0', key, logLevel: 'silent' });
  });
  after(async () => {
    await client?.close();
    await cluster.cleanup();
  });

  /** One RPC from a client (caps 0: never taken into the node's table). */
  function rpc(req: Request): Promise<WireMessage> {
    const frame = encodeFrame({
      v: 1,
      rid: ++rid,
      from: {
        id: identity.id,
        pk: identity.pk,
        nonce: identity.nonce,
        addr: '127.0.0.1:9',
        caps: 0,
      },
      body: { req },
    });
    return new Promise((resolve, reject) =>
      client.request(node.bind, frame, 10_000, (outcome) => {
        if (!outcome.ok) return reject(new Error(`${outcome.failure}: ${outcome.message}`));
        const message = decodeFrame(outcome.frame);
        if (isDecodeError(message)) return reject(new Error(JSON.stringify(message)));
        resolve(message);
      }),
    );
  }

  function pointer(seq: number): Pointer {
    return signPointer(
      {
        tessera: randomBytes(32),
        holders: [{ id: identity.id, addr: '127.0.0.1:9' }],
        fragments: [],
        publisher: key.pk,
        seq,
        expires: nowS() + 3_600,
      },
      key,
    );
  }

  const store = (p: Pointer) => rpc({ op: 'store', pointer: pointerToWire(p) });
  const status = () => getJson<JournalStatus>(node.admin, '/status');

  async function publishStatus(): Promise<number> {
    const response = await fetch(`http://${node.admin}/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken(node)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tessera: randomBytes(32).toString('hex') }),
      signal: AbortSignal.timeout(15_000),
    });
    return response.status;
  }

  /** While paused: reads answered (find_value returns the held pointer), writes refused. */
  async function assertDegraded(held: Pointer): Promise<void> {
    const found = await rpc({ op: 'find_value', key: held.key });
    assert.ok('res' in found.body && found.body.res.op === 'value', JSON.stringify(found.body));
    assert.deepEqual(
      found.body.res.pointers.map((p) => Buffer.from(p.sig).toString('hex')),
      [Buffer.from(held.sig).toString('hex')],
      'find_value still answered from the pointer store',
    );
    const pong = await rpc({ op: 'ping' });
    assert.ok('res' in pong.body && pong.body.res.op === 'pong');
    const refused = await store(pointer(1));
    assert.ok('err' in refused.body, JSON.stringify(refused.body));
    assert.equal(refused.body.err.code, ErrorCode.OVERLOADED);
    assert.match(refused.body.err.reason, /journal/);
    assert.equal(await publishStatus(), 503);
    const metrics = await (await fetch(`http://${node.metrics}/metrics`)).text();
    assert.match(metrics, /^tesd_journal_paused 1$/m);
    assert.equal((await status()).pointers, 1, 'the refused store changed nothing');
  }

  it('locked by another process: reads answered, stores refused with error 4, then resumed', async () => {
    const held = pointer(1);
    const stored = await store(held);
    assert.ok('res' in stored.body && stored.body.res.op === 'stored' && stored.body.res.ok);

    const lock = new Database(join(node.dataDir, 'events.db'));
    lock.pragma('busy_timeout = 5000');
    lock.exec('BEGIN IMMEDIATE'); // holds the write lock: the node's commits get SQLITE_BUSY
    try {
      await rpc({ op: 'ping' }); // something to record: its commit fails
      const paused = await waitFor('the journal to pause', async () => {
        const s = await status();
        return s.journal.paused ? s : null;
      });
      assert.match(paused.journal.error ?? '', /SQLITE_BUSY|locked/);
      await assertDegraded(held);
    } finally {
      lock.exec('ROLLBACK');
      lock.close();
    }
    await waitFor('the journal to resume', async () => !(await status()).journal.paused);
    const again = await store(pointer(2));
    assert.ok('res' in again.body && again.body.res.op === 'stored' && again.body.res.ok);
    assert.equal(await publishStatus(), 200);

    // Commits are asynchronous (the writer thread): wait until the second store is durable
    // before reading the log from another connection.
    const ourSeqs = (): number[] => {
      const reader = SqliteEventStore.openReadOnly(node.dataDir);
      try {
        return [...reader.read({ type: 'pointer_stored' })]
          .filter(
            (e) =>
              (e.data as { publisher: string }).publisher === Buffer.from(key.pk).toString('hex'),
          )
          .map((e) => (e.data as { seq: number }).seq);
      } finally {
        reader.close();
      }
    };
    await waitFor('the second store to be committed', () => Promise.resolve(ourSeqs().length >= 2));
    const log = SqliteEventStore.openReadOnly(node.dataDir);
    try {
      const types = [...log.read({ type: 'journal_paused' })].concat([
        ...log.read({ type: 'journal_resumed' }),
      ]);
      assert.deepEqual(
        types.map((e) => e.type),
        ['journal_paused', 'journal_resumed'],
      );
      assert.match(String((types[0]!.data as { error: string }).error), /SQLITE_BUSY|locked/);
      const ours = [...log.read({ type: 'pointer_stored' })].filter(
        (e) => (e.data as { publisher: string }).publisher === Buffer.from(key.pk).toString('hex'),
      );
      assert.deepEqual(
        ours.map((e) => (e.data as { seq: number }).seq),
        [1, 2],
        'the two accepted stores, not the refused one',
      );
    } finally {
      log.close();
    }
  });

  it('read-only database: the node starts, serves reads from its restored state, refuses stores', async (t) => {
    const file = join(node.dataDir, 'events.db');
    node.child.kill('SIGTERM');
    assert.equal(await node.exited, 0);
    let mounted: string | null = null;
    try {
      execFileSync('mount', ['--bind', file, file], { stdio: ['ignore', 'ignore', 'pipe'] });
      execFileSync('mount', ['-o', 'remount,ro,bind', file], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    } catch (error) {
      mounted = `mount --bind,ro refused: ${String((error as { stderr?: Buffer }).stderr ?? error)}`;
      try {
        execFileSync('umount', [file], { stdio: 'ignore' });
      } catch {
        // nothing was mounted
      }
    }
    if (!requirement(t, 'a read-only bind mount (root)', mounted)) return;
    t.after(() => {
      if (node.child.exitCode === null) node.child.kill('SIGKILL');
      return node.exited.then(() => execFileSync('umount', [file], { stdio: 'ignore' }));
    });
    const restarted = await cluster.start(node);
    assert.equal(restarted.restored.pointers, 3, 'our two and the node’s own publication');
    const s = await waitFor('the journal to pause', async () => {
      const current = await status();
      return current.journal.paused ? current : null;
    });
    assert.match(s.journal.error ?? '', /SQLITE_READONLY|readonly/);
    const log = SqliteEventStore.openReadOnly(node.dataDir);
    const held = [...log.read({ type: 'pointer_stored' })][0]!;
    log.close();
    const found = await rpc({ op: 'find_value', key: Buffer.from(held.key!, 'hex') });
    assert.ok('res' in found.body && found.body.res.op === 'value');
    assert.equal(found.body.res.pointers.length, 1, 'restored pointer served');
    const refused = await store(pointer(1));
    assert.ok('err' in refused.body);
    assert.equal(refused.body.err.code, ErrorCode.OVERLOADED);
    assert.equal(await publishStatus(), 503);
    assert.equal((await status()).pointers, 3);
  });
});
