import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TesdError } from '../../src/core/errors.js';
import { seededRandom } from '../../src/core/random.js';
import { DEFAULT_VIRTUAL_START_MS, VirtualTimers } from '../../src/net/virtual-timers.js';

describe('VirtualTimers', () => {
  it('starts at the given time and only moves when a timer runs', () => {
    const timers = new VirtualTimers();
    assert.equal(timers.now(), DEFAULT_VIRTUAL_START_MS);
    const custom = new VirtualTimers(1_000);
    custom.setTimer(250, () => {});
    assert.equal(custom.now(), 1_000);
    assert.equal(custom.runNext(), true);
    assert.equal(custom.now(), 1_250);
    assert.equal(custom.runNext(), false);
    assert.equal(custom.now(), 1_250);
  });

  it('runs timers in time order, ties in insertion order, each at its own time', () => {
    const timers = new VirtualTimers(0);
    const ran: string[] = [];
    const record = (name: string) => () => ran.push(`${name}@${timers.now()}`);
    timers.setTimer(30, record('c'));
    timers.setTimer(10, record('a1'));
    timers.setTimer(20, record('b'));
    timers.setTimer(10, record('a2'));
    timers.setTimer(-5, record('neg'));
    timers.setTimer(10, record('a3'));
    assert.equal(timers.pending, 6);
    assert.equal(timers.runUntilIdle(), 6);
    assert.deepEqual(ran, ['neg@0', 'a1@10', 'a2@10', 'a3@10', 'b@20', 'c@30']);
    assert.equal(timers.pending, 0);
  });

  it('orders timers scheduled from callbacks after earlier ties', () => {
    const timers = new VirtualTimers(0);
    const ran: string[] = [];
    timers.setTimer(5, () => {
      ran.push('first');
      timers.setTimer(0, () => ran.push('zero-delay'));
    });
    timers.setTimer(5, () => ran.push('second'));
    timers.runUntilIdle();
    assert.deepEqual(ran, ['first', 'second', 'zero-delay']);
  });

  it('pops in (time, insertion) order for many random timers', () => {
    const timers = new VirtualTimers(0);
    const random = seededRandom(42);
    const expected: { atMs: number; seq: number }[] = [];
    const ran: number[] = [];
    for (let seq = 0; seq < 5_000; seq++) {
      const atMs = random.int(200);
      expected.push({ atMs, seq });
      timers.setTimer(atMs, () => ran.push(seq));
    }
    timers.runUntilIdle();
    expected.sort((x, y) => x.atMs - y.atMs || x.seq - y.seq);
    assert.deepEqual(
      ran,
      expected.map((e) => e.seq),
    );
  });

  it('never runs a cancelled timer, and cancel after firing is harmless', () => {
    const timers = new VirtualTimers(0);
    const ran: string[] = [];
    const keep = timers.setTimer(10, () => ran.push('keep'));
    const drop = timers.setTimer(5, () => ran.push('drop'));
    drop.cancel();
    drop.cancel();
    assert.equal(timers.pending, 1);
    timers.runUntilIdle();
    keep.cancel();
    assert.deepEqual(ran, ['keep']);
    assert.equal(timers.pending, 0);
    // The cancelled timer did not move the clock: only the live one did.
    assert.equal(timers.now(), 10);
  });

  it('keeps order through the compaction of many cancelled timers', () => {
    const timers = new VirtualTimers(0);
    const ran: number[] = [];
    const handles = [];
    for (let i = 0; i < 10_000; i++) handles.push(timers.setTimer(10_000 - i, () => ran.push(i)));
    for (let i = 0; i < 10_000; i++) if (i % 3 !== 0) handles[i]!.cancel();
    assert.equal(timers.pending, 3_334);
    timers.runUntilIdle();
    const expected = [];
    for (let i = 9_999; i >= 0; i--) if (i % 3 === 0) expected.push(i);
    assert.deepEqual(ran, expected);
  });

  it('runFor runs what is due and leaves the clock at the end of the window', () => {
    const timers = new VirtualTimers(0);
    const ran: number[] = [];
    for (const delayMs of [5, 10, 15, 20]) timers.setTimer(delayMs, () => ran.push(delayMs));
    assert.equal(timers.runFor(15), 3);
    assert.deepEqual(ran, [5, 10, 15]);
    assert.equal(timers.now(), 15);
    assert.equal(timers.pending, 1);
    assert.equal(timers.runFor(2), 0);
    assert.equal(timers.now(), 17);
  });

  it('runUntil stops as soon as the predicate holds, false when timers run out', () => {
    const timers = new VirtualTimers(0);
    let count = 0;
    for (let i = 1; i <= 5; i++) timers.setTimer(i, () => count++);
    assert.equal(
      timers.runUntil(() => count === 3),
      true,
    );
    assert.equal(timers.now(), 3);
    assert.equal(
      timers.runUntil(() => count === 99),
      false,
    );
    assert.equal(count, 5);
  });

  it('runUntilIdle throws a livelock TesdError when timers keep scheduling timers', () => {
    const timers = new VirtualTimers(0);
    const tick = (): void => {
      timers.setTimer(1, tick);
    };
    tick();
    assert.throws(
      () => timers.runUntilIdle(1_000),
      (error: unknown) => error instanceof TesdError && error.code === 'livelock',
    );
    assert.equal(timers.now(), 1_000);
    assert.throws(() => timers.runUntil(() => false, 10), TesdError);
  });

  it('rejects a non-finite delay as a programmer error', () => {
    const timers = new VirtualTimers(0);
    assert.throws(() => timers.setTimer(Number.NaN, () => {}), TesdError);
    assert.throws(() => timers.setTimer(Number.POSITIVE_INFINITY, () => {}), TesdError);
  });
});
