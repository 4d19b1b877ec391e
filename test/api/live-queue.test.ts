import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AbortError, EventsOverflowError } from '../../src/api/errors.js';
import { LiveQueue } from '../../src/api/live-queue.js';

/** The async iterable behind node.events() and node.lookup(). */

describe('LiveQueue', () => {
  it('hands pushed items to the reader in order, and ends after the buffered ones', async () => {
    const queue = new LiveQueue<number>(10, undefined, () => undefined, 'test');
    queue.push(1);
    queue.push(2);
    queue.end();
    const read: number[] = [];
    for await (const item of queue) read.push(item);
    assert.deepEqual(read, [1, 2]);
  });

  it('wakes a reader that waits for the next item', async () => {
    const queue = new LiveQueue<string>(10, undefined, () => undefined, 'test');
    const next = queue.next();
    queue.push('a');
    assert.deepEqual(await next, { value: 'a', done: false });
  });

  it('fails with EventsOverflowError once the reader is more than the buffer behind, after what it holds', async () => {
    let closed = 0;
    const queue = new LiveQueue<number>(2, undefined, () => closed++, 'events');
    assert.equal(queue.push(1), true);
    assert.equal(queue.push(2), true);
    assert.equal(queue.push(3), false);
    assert.equal(closed, 1, 'the producer is told to stop');
    assert.deepEqual(await queue.next(), { value: 1, done: false });
    assert.deepEqual(await queue.next(), { value: 2, done: false });
    await assert.rejects(
      queue.next(),
      (e: unknown) => e instanceof EventsOverflowError && e.code === 'events_overflow',
    );
    assert.deepEqual(await queue.next(), { value: undefined, done: true });
  });

  it('rejects a waiting reader with AbortError when its signal aborts, and unsubscribes', async () => {
    const controller = new AbortController();
    let closed = 0;
    const queue = new LiveQueue<number>(10, controller.signal, () => closed++, 'lookup');
    const next = queue.next();
    controller.abort(new Error('enough'));
    await assert.rejects(next, (e: unknown) => e instanceof AbortError && e.code === 'aborted');
    assert.equal(closed, 1);
    assert.equal(queue.push(1), false);
  });

  it('is over at once for a signal aborted before the call', async () => {
    const queue = new LiveQueue<number>(10, AbortSignal.abort(), () => undefined, 'events');
    await assert.rejects(queue.next(), (e: unknown) => e instanceof AbortError);
  });

  it('closes when the reader breaks out of its loop', async () => {
    let closed = 0;
    const queue = new LiveQueue<number>(10, undefined, () => closed++, 'events');
    queue.push(1);
    queue.push(2);
    for await (const item of queue) if (item === 1) break;
    assert.equal(closed, 1);
    assert.equal(queue.push(3), false);
  });
});
