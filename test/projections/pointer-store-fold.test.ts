import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toHex } from '../../src/core/bytes.js';
import type { Pointer } from '../../src/core/pointer.js';
import type { EventDataMap } from '../../src/events/event-types.js';
import { pointerToData } from '../../src/projections/pointer-data.js';
import {
  emptyPointers,
  evolvePointers,
  pointersFor,
  pointersFromJson,
  pointersToJson,
  sourceGroupOf,
  type PointerState,
} from '../../src/projections/pointer-store.js';
import { signedPointer } from '../support/pointers.js';
import { storedEvent } from '../support/stored-event.js';

/**
 * The pointer store's fold (SPEC §4.2, §5) event by event: the entries, the counts the quotas
 * read (per publisher, per source /24) and the canonical JSON of snapshots and the
 * rebuild-equals-live checker.
 */

const T0 = 1_700_000_000_000;

class PointerLog {
  readonly state: PointerState = emptyPointers();
  private seq = 0;

  fold<T extends keyof EventDataMap>(type: T, data: EventDataMap[T], at = T0): this {
    evolvePointers(this.state, storedEvent(type, data, at, ++this.seq));
    return this;
  }

  stored(p: Pointer, from: string, at = T0): this {
    return this.fold('pointer_stored', { ...pointerToData(p), from }, at);
  }

  /** The counts the quotas read, as plain objects. */
  counts() {
    return {
      size: this.state.size,
      perPublisher: Object.fromEntries(this.state.perPublisher),
      perSourceGroup: Object.fromEntries(this.state.perSourceGroup),
      keys: [...this.state.byKey.keys()],
    };
  }
}

const pointer = (tessera: number, publisher = 1, seq = 1) =>
  signedPointer({ tessera, publisher, seq, nowMs: T0 });
const pub = (p: Pointer) => toHex(p.publisher);
const key = (p: Pointer) => toHex(p.key);

test('sourceGroupOf: the /24 of an IPv4 source, the /48 of an IPv6 one, an unparsable address as itself', () => {
  assert.equal(sourceGroupOf('198.51.100.7:4433'), '198.51.100.0/24');
  assert.equal(sourceGroupOf('[2001:db8:1:2::9]:4433'), '2001:db8:1::/48');
  assert.equal(sourceGroupOf('[2001:db8:1:ffff:1:2:3:4]:1'), '2001:db8:1::/48');
  assert.equal(sourceGroupOf('not an address'), 'not an address');
});

test('pointer_stored counts the pointer for its publisher and its source /24', () => {
  const [a, b, c] = [pointer(1, 1), pointer(2, 1), pointer(1, 2)];
  const log = new PointerLog()
    .stored(a, '198.51.100.1:1')
    .stored(b, '198.51.100.2:1')
    .stored(c, '203.0.113.1:1');
  assert.deepEqual(log.counts(), {
    size: 3,
    perPublisher: { [pub(a)]: 2, [pub(c)]: 1 },
    perSourceGroup: { '198.51.100.0/24': 2, '203.0.113.0/24': 1 },
    keys: [key(a), key(b)],
  });
  const entry = log.state.byKey.get(key(a))?.get(pub(a));
  assert.deepEqual(entry?.data, pointerToData(a));
  assert.equal(entry?.from, '198.51.100.1:1');
  assert.equal(entry?.storedAtMs, T0);
  assert.equal(entry?.sourceGroup, '198.51.100.0/24');
});

test('pointer_replaced takes the place of the older one: counted once, from its new source', () => {
  const [old, newer] = [pointer(1, 1, 1), pointer(1, 1, 2)];
  const log = new PointerLog()
    .stored(old, '198.51.100.1:1')
    .fold('pointer_replaced', { ...pointerToData(newer), from: '203.0.113.1:1' }, T0 + 5);
  assert.deepEqual(log.counts(), {
    size: 1,
    perPublisher: { [pub(old)]: 1 },
    perSourceGroup: { '203.0.113.0/24': 1 },
    keys: [key(old)],
  });
  assert.equal(log.state.byKey.get(key(old))?.get(pub(old))?.pointer.seq, 2);
});

test('pointer_expired and pointer_evicted remove one (key, publisher) and uncount it; a key keeps its other publishers', () => {
  const [a1, a2, b] = [pointer(1, 1), pointer(1, 2), pointer(2, 1)];
  const log = new PointerLog()
    .stored(a1, '198.51.100.1:1')
    .stored(a2, '198.51.100.2:1')
    .stored(b, '203.0.113.1:1')
    .fold('pointer_expired', { key: key(a1), publisher: pub(a1) });
  assert.deepEqual(log.counts(), {
    size: 2,
    perPublisher: { [pub(a1)]: 1, [pub(a2)]: 1 },
    perSourceGroup: { '198.51.100.0/24': 1, '203.0.113.0/24': 1 },
    keys: [key(a1), key(b)],
  });
  log.fold('pointer_evicted', { key: key(b), publisher: pub(b) });
  assert.deepEqual(log.counts(), {
    size: 1,
    perPublisher: { [pub(a2)]: 1 },
    perSourceGroup: { '198.51.100.0/24': 1 },
    keys: [key(a1)],
  });
  log.fold('pointer_evicted', { key: key(a2), publisher: pub(a2) });
  assert.deepEqual(log.counts(), { size: 0, perPublisher: {}, perSourceGroup: {}, keys: [] });
});

test('removing a pointer that is not stored changes nothing', () => {
  const a = pointer(1, 1);
  const log = new PointerLog()
    .stored(a, '198.51.100.1:1')
    .fold('pointer_expired', { key: key(a), publisher: pub(pointer(1, 2)) })
    .fold('pointer_evicted', { key: key(pointer(3)), publisher: pub(a) });
  assert.deepEqual(log.counts(), {
    size: 1,
    perPublisher: { [pub(a)]: 1 },
    perSourceGroup: { '198.51.100.0/24': 1 },
    keys: [key(a)],
  });
});

test('pointer_published keeps our own latest publication per key, stored or not', () => {
  const [first, second, other] = [pointer(1, 1, 1), pointer(1, 1, 2), pointer(2, 1, 1)];
  const log = new PointerLog()
    .fold('pointer_published', pointerToData(first))
    .fold('pointer_published', pointerToData(second))
    .fold('pointer_published', pointerToData(other));
  assert.deepEqual(
    [...log.state.published.values()],
    [pointerToData(second), pointerToData(other)],
  );
  assert.equal(log.state.size, 0, 'a publication is not a stored pointer');
});

test("pointersFor lists a key's pointers highest seq first", () => {
  const [low, high, mid] = [pointer(1, 1, 3), pointer(1, 2, 9), pointer(1, 3, 5)];
  const log = new PointerLog();
  for (const p of [low, high, mid]) log.stored(p, '198.51.100.1:1');
  assert.deepEqual(
    pointersFor(log.state, key(low)).map((e) => e.pointer.seq),
    [9, 5, 3],
  );
  assert.deepEqual(pointersFor(log.state, key(pointer(2))), []);
});

test('pointersToJson: stored pointers sorted by key then publisher, publications by key; fromJson restores them', () => {
  // Folded in the reverse of the canonical order, so that only sorting yields it.
  const canonical = [pointer(3, 2), pointer(1, 1), pointer(3, 1), pointer(2, 2)].sort((a, b) =>
    cmp(key(a) + pub(a), key(b) + pub(b)),
  );
  const log = new PointerLog();
  const from = (i: number) => `198.51.100.${i}:1`;
  for (let i = canonical.length - 1; i >= 0; i--) log.stored(canonical[i]!, from(i), T0 + i);
  const published = [pointer(5, 1), pointer(4, 1), pointer(6, 1)].sort((a, b) =>
    cmp(key(a), key(b)),
  );
  for (const p of [...published].reverse()) log.fold('pointer_published', pointerToData(p));
  const json = pointersToJson(log.state);
  assert.deepEqual(json, {
    stored: canonical.map((p, i) => ({ ...pointerToData(p), from: from(i), stored_at_ms: T0 + i })),
    published: published.map(pointerToData),
  });
  const copy = pointersFromJson(json);
  assert.deepEqual(pointersToJson(copy), json);
  assert.equal(copy.size, 4);
  assert.deepEqual(Object.fromEntries(copy.perSourceGroup), { '198.51.100.0/24': 4 });
});

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
