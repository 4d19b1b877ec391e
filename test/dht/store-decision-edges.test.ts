import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toHex } from '../../src/core/bytes.js';
import { compareDistance } from '../../src/core/distance.js';
import type { Pointer } from '../../src/core/pointer.js';
import { decideStore } from '../../src/dht/pointer-decisions.js';
import { pointerToData } from '../../src/projections/pointer-data.js';
import { publisherKey, signedPointer } from '../support/pointers.js';
import { given } from './given.js';

/**
 * The store decision (SPEC §4.1, §4.2) at its edges: validity first, each quota at its exact
 * limit with its reason and error code, the eviction that makes room, and the columns
 * (`key`, `peer`) every event is recorded with.
 */

const T0 = 1_700_000_000_000;
const FROM = '198.51.100.7:4433';
const stored = (p: Pointer, from = FROM) =>
  ['pointer_stored', { ...pointerToData(p), from }] as const;
const refused = (p: Pointer, reason: string) =>
  ['pointer_refused', { key: toHex(p.key), publisher: toHex(p.publisher), reason }] as const;

test('given an invalid pointer, when it is stored, then it is refused with its problem and error 6, nothing stored', () => {
  const expired = signedPointer({ tessera: 1, nowMs: T0, expires: Math.floor(T0 / 1000) });
  const forged = { ...signedPointer({ tessera: 2, nowMs: T0 }), seq: 2 };
  const g = given()
    .when({ store: expired, from: FROM, atMs: T0 })
    .then([refused(expired, 'expired')]);
  assert.deepEqual(g.outcome, { ok: false, reason: 'expired', errorCode: 6 });
  g.when({ store: forged, from: FROM, atMs: T0 }).then([refused(forged, 'bad_signature')]);
  assert.deepEqual(g.outcome, { ok: false, reason: 'bad_signature', errorCode: 6 });
  assert.equal(g.view.state.pointers.size, 0);
});

test('given a key with 2 publishers and a cap of 2, when a third publisher stores, then quota_publishers_per_key, error 4', () => {
  const g = given({ maxPublishersPerKey: 2 });
  const [first, second, third] = [1, 2, 3].map((publisher) =>
    signedPointer({ tessera: 7, publisher, nowMs: T0 }),
  );
  g.when({ store: first!, from: FROM, atMs: T0 })
    .then([stored(first!)])
    .when({ store: second!, from: FROM, atMs: T0 })
    .then([stored(second!)])
    .when({ store: third!, from: FROM, atMs: T0 })
    .then([refused(third!, 'quota_publishers_per_key')]);
  assert.deepEqual(g.outcome, { ok: false, reason: 'quota_publishers_per_key', errorCode: 4 });
  const other = signedPointer({ tessera: 8, publisher: 3, nowMs: T0 });
  g.when({ store: other, from: FROM, atMs: T0 }).then([stored(other)]);
});

test('given a source /24 with 2 pointers and a cap of 2, when it sends a third, then quota_per_source, error 4; another /24 fits', () => {
  const g = given({ maxPointersPerSourceGroup: 2 });
  const [a, b, c] = [1, 2, 3].map((tessera) => signedPointer({ tessera, nowMs: T0 }));
  g.when({ store: a!, from: '198.51.100.1:1', atMs: T0 })
    .then([stored(a!, '198.51.100.1:1')])
    .when({ store: b!, from: '198.51.100.2:2', atMs: T0 })
    .then([stored(b!, '198.51.100.2:2')])
    .when({ store: c!, from: '198.51.100.3:3', atMs: T0 })
    .then([refused(c!, 'quota_per_source')]);
  assert.deepEqual(g.outcome, { ok: false, reason: 'quota_per_source', errorCode: 4 });
  g.when({ store: c!, from: '198.51.101.3:3', atMs: T0 }).then([stored(c!, '198.51.101.3:3')]);
});

/** Pointers of tesserae 1..n sorted by their key's distance from `self`, nearest first. */
function byDistance(self: Uint8Array, n: number, publisher = 1): Pointer[] {
  return Array.from({ length: n }, (_, i) =>
    signedPointer({ tessera: i + 1, publisher, nowMs: T0 }),
  ).sort((a, b) => compareDistance(self, a.key, b.key));
}

test('given a full store, when a nearer key arrives, then the furthest key is evicted whatever the order it was stored in', () => {
  const g = given({ maxPointers: 3 });
  const [nearer, near, mid, far] = byDistance(g.self.id, 4) as [Pointer, Pointer, Pointer, Pointer];
  // Stored furthest first: the eviction must compare, not take the last one seen.
  for (const p of [far, mid, near]) g.when({ store: p, from: FROM, atMs: T0 }).then([stored(p)]);
  g.when({ store: nearer, from: FROM, atMs: T0 }).then([
    ['pointer_evicted', { key: toHex(far.key), publisher: toHex(far.publisher) }],
    stored(nearer),
  ]);
  assert.deepEqual(g.outcome, { ok: true, change: 'stored' });
});

test('given a full store, when a key as far as the furthest arrives from another publisher, then store_full', () => {
  const g = given({ maxPointers: 2 });
  const [near, far] = byDistance(g.self.id, 2);
  for (const p of [near!, far!]) g.when({ store: p, from: FROM, atMs: T0 }).then([stored(p)]);
  const sameKey = signedPointer({ tessera: far!.tessera[0]!, publisher: 2, nowMs: T0 });
  g.when({ store: sameKey, from: FROM, atMs: T0 }).then([refused(sameKey, 'store_full')]);
  assert.deepEqual(g.outcome, { ok: false, reason: 'store_full' });
});

test('given a full store whose furthest key has two publishers, then the one stored first is evicted', () => {
  const g = given({ maxPointers: 3 });
  const [nearer, near, far] = byDistance(g.self.id, 3);
  const farAgain = signedPointer({ tessera: far!.tessera[0]!, publisher: 2, nowMs: T0 });
  for (const p of [far!, near!, farAgain])
    g.when({ store: p, from: FROM, atMs: T0 }).then([stored(p)]);
  g.when({ store: nearer!, from: FROM, atMs: T0 }).then([
    ['pointer_evicted', { key: toHex(far!.key), publisher: toHex(publisherKey(1).pk) }],
    stored(nearer!),
  ]);
});

test('with room for no pointer at all, every store is refused store_full', () => {
  const g = given({ maxPointers: 0 });
  const p = signedPointer({ tessera: 1, nowMs: T0 });
  g.when({ store: p, from: FROM, atMs: T0 }).then([refused(p, 'store_full')]);
});

test('every store event is recorded with its key, and with the sending peer but for an eviction', () => {
  const g = given({ maxPointers: 1 });
  const peer = 'ab'.repeat(20);
  const [near, far] = byDistance(g.self.id, 2);
  const refs = (p: Pointer) => {
    const decision = decideStore(g.view, p, FROM, peer, T0);
    g.fold(decision.events, T0);
    return decision.events.map((e) => [e.type, e.refs]);
  };
  const key = (p: Pointer) => toHex(p.key);
  assert.deepEqual(refs(far!), [['pointer_stored', { key: key(far!), peer }]]);
  const newer = signedPointer({ tessera: far!.tessera[0]!, seq: 2, nowMs: T0 });
  assert.deepEqual(refs(newer), [['pointer_replaced', { key: key(far!), peer }]]);
  assert.deepEqual(refs(near!), [
    ['pointer_evicted', { key: key(far!) }],
    ['pointer_stored', { key: key(near!), peer }],
  ]);
  assert.deepEqual(refs(far!), [['pointer_refused', { key: key(far!), peer }]]);
});
