import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NewEvent } from '../../src/events/event-types.js';
import { MemoryEventStore } from '../../src/events/memory-event-store.js';

function stopped(at: number): NewEvent {
  return { type: 'node_stopped', at, peer: null, key: null, lookup: null, data: { reason: 'x' } };
}

test('given maxRetained 2, when a fifth event is appended, then the tail is cut to the last 2', () => {
  const store = new MemoryEventStore({ maxRetained: 2 });
  for (let at = 1; at <= 4; at++) store.append(stopped(at));
  assert.deepEqual(
    [...store.read()].map((e) => e.seq),
    [1, 2, 3, 4],
    'up to twice the tail is kept',
  );
  store.append(stopped(5));
  assert.deepEqual(
    [...store.read()].map((e) => e.seq),
    [4, 5],
  );
  assert.equal(store.lastSeq, 5);
  assert.equal(store.firstRetainedSeq, 4);
});

test('given maxRetained 0, when events are appended, then each gets the next seq and none is kept', () => {
  const store = new MemoryEventStore({ maxRetained: 0, hashChain: false });
  const seqs = [1, 2, 3].map((at) => store.append(stopped(at)).seq);
  assert.deepEqual(seqs, [1, 2, 3]);
  assert.deepEqual([...store.read()], []);
  assert.equal(store.lastSeq, 3);
  assert.equal(store.firstRetainedSeq, 4);
});
