import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toHex } from '../../src/core/bytes.js';
import { compareDistance } from '../../src/core/distance.js';
import { signPointer, type Pointer } from '../../src/core/pointer.js';
import { storePointer } from '../../src/dht/store-pointer.js';
import { sendRpc } from '../../src/dht/rpc-client.js';
import type { MemoryEventStore } from '../../src/events/memory-event-store.js';
import { createSimulation, type Simulation } from '../../src/sim/simulation.js';

function given(config = {}): {
  sim: Simulation;
  sign: (n: number, seq: number, publisher?: number, holders?: Pointer['holders']) => Pointer;
} {
  const sim = createSimulation({ seed: 21, nodes: 1, checkEveryStep: true, config });
  const publishers = [sim.newKey().key, sim.newKey().key, sim.newKey().key];
  const nowS = Math.floor(sim.timers.now() / 1000);
  const sign = (n: number, seq: number, publisher = 0, holders: Pointer['holders'] = []): Pointer =>
    signPointer(
      {
        tessera: Uint8Array.from({ length: 32 }, (_, i) => i * n),
        holders,
        fragments: [],
        publisher: publishers[publisher]!.pk,
        seq,
        expires: nowS + 3600,
      },
      publishers[publisher]!,
    );
  return { sim, sign };
}

test('one pointer per (key, publisher): higher seq replaces, same bytes ack, other bytes or lower seq refused', () => {
  const { sim, sign } = given();
  const node = sim.node(0);
  const from = '127.9.9.9:4433';
  assert.deepEqual(storePointer(node, sign(1, 5), from, null), { ok: true, change: 'stored' });
  assert.deepEqual(storePointer(node, sign(1, 5), from, null), { ok: true, change: 'unchanged' });
  assert.deepEqual(storePointer(node, sign(1, 6), from, null), { ok: true, change: 'replaced' });
  // Validly signed by the same publisher, same key and seq, other holders: conflicting_seq.
  const conflicting = sign(1, 6, 0, [{ id: new Uint8Array(20), addr: from }]);
  assert.deepEqual(storePointer(node, conflicting, from, null), {
    ok: false,
    reason: 'conflicting_seq',
  });
  assert.deepEqual(storePointer(node, sign(1, 4), from, null), { ok: false, reason: 'stale_seq' });
  assert.equal(node.state.pointers.size, 1);
  const events = [...node.store.read()].filter((e) => e.type.startsWith('pointer_'));
  assert.deepEqual(
    events.map((e) => [e.type, e.type === 'pointer_refused' ? e.data.reason : null]),
    [
      ['pointer_stored', null],
      ['pointer_replaced', null],
      ['pointer_refused', 'conflicting_seq'],
      ['pointer_refused', 'stale_seq'],
    ],
  );
  sim.check();
});

test('quotas per publisher are error 4', () => {
  const { sim, sign } = given({ maxPointersPerPublisher: 2 });
  const node = sim.node(0);
  storePointer(node, sign(1, 1), '127.9.9.9:1', null);
  storePointer(node, sign(2, 1), '127.9.9.9:1', null);
  assert.deepEqual(storePointer(node, sign(3, 1), '127.9.9.9:1', null), {
    ok: false,
    reason: 'quota_per_publisher',
    errorCode: 4,
  });
  assert.equal(
    storePointer(node, sign(3, 1, 1), '127.9.9.9:1', null).ok,
    true,
    'another publisher still fits',
  );
});

test('when full, the key furthest from us is evicted unless the newcomer is further still', () => {
  const { sim, sign } = given({ maxPointers: 3 });
  const node = sim.node(0);
  const pointers = [1, 2, 3, 4, 5, 6]
    .map((n) => sign(n, 1))
    .sort((a, b) => compareDistance(node.identity.id, a.key, b.key));
  for (const p of [pointers[0]!, pointers[1]!, pointers[4]!])
    assert.equal(storePointer(node, p, '127.1.1.1:1', null).ok, true);
  assert.deepEqual(storePointer(node, pointers[5]!, '127.1.1.1:1', null), {
    ok: false,
    reason: 'store_full',
  });
  assert.equal(storePointer(node, pointers[2]!, '127.1.1.1:1', null).ok, true);
  assert.ok(!node.state.pointers.byKey.has(toHex(pointers[4]!.key)), 'the furthest was evicted');
  assert.equal([...node.store.read({ type: 'pointer_evicted' })].length, 1);
  sim.check();
});

test('with the journal unavailable, stores are refused with error 4 and nothing changes; then it resumes', () => {
  const { sim, sign } = given();
  const node = sim.node(0);
  const store = sim.nodes[0]!.store as MemoryEventStore;
  store.failAppends('disk full');
  storePointer(node, sign(1, 1), '127.1.1.1:1', null);
  assert.equal(node.journalPaused, true);
  assert.deepEqual(storePointer(node, sign(1, 1), '127.1.1.1:1', null), {
    ok: false,
    reason: 'journal unavailable',
    errorCode: 4,
  });
  assert.equal(node.state.pointers.size, 0);
  store.failAppends(null);
  assert.equal(storePointer(node, sign(1, 1), '127.1.1.1:1', null).ok, true);
  const types = [...store.read()].map((e) => e.type);
  assert.deepEqual(types.slice(-3), ['journal_paused', 'journal_resumed', 'pointer_stored']);
  sim.check();
});

test('a source flooding requests gets error 4 past its rate, with one aggregated rejection', () => {
  const sim = createSimulation({
    seed: 22,
    nodes: 2,
    config: { requestsPerSecondPerSource: 10 },
  });
  sim.bootstrapAll();
  sim.runUntilIdle();
  const codes: Array<number | null> = [];
  const target = sim.nodes[1]!;
  for (let i = 0; i < 100; i++) {
    sendRpc(sim.node(0), { identity: null, addr: target.addr }, { op: 'ping' }, null, (r) =>
      codes.push(r.ok ? 0 : r.code),
    );
  }
  sim.runUntilIdle();
  assert.ok(codes.filter((c) => c === 0).length >= 10);
  assert.ok(codes.filter((c) => c === 4).length >= 80);
  const rejected = [...target.store.read({ type: 'peer_rejected' })];
  assert.equal(rejected.length, 1);
  assert.equal(rejected[0]?.type === 'peer_rejected' && rejected[0].data.reason, 'rate_limited');
});
