import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StallSweeper, type StallWatch } from '../../src/net/stream-stall.js';
import { VirtualTimers } from '../../src/net/virtual-timers.js';

function stalledStreams(count: number, dropped: number[]): StallWatch[] {
  return Array.from({ length: count }, (_, i) => ({
    midFrameSinceMs: null,
    onStall: () => dropped.push(i),
  }));
}

describe('stall sweep (SPEC §3.2: a stream stalled mid-frame is dropped after a timeout)', () => {
  it('drops a stream mid-frame once the timeout has passed, not before', () => {
    const timers = new VirtualTimers();
    const sweeper = new StallSweeper({ stallTimeoutMs: 10_000, timers, sweepIntervalMs: 500 });
    const dropped: number[] = [];
    const [stream] = stalledStreams(1, dropped);
    sweeper.update(stream!, true);
    timers.runFor(9_999);
    assert.deepEqual(dropped, []);
    timers.runFor(501);
    assert.deepEqual(dropped, [0]);
    assert.equal(sweeper.size, 0);
  });

  it('never drops a stream that completed its frame or ended', () => {
    const timers = new VirtualTimers();
    const sweeper = new StallSweeper({ stallTimeoutMs: 1_000, timers });
    const dropped: number[] = [];
    const [done, ended] = stalledStreams(2, dropped);
    sweeper.update(done!, true);
    sweeper.update(ended!, true);
    sweeper.update(done!, false);
    sweeper.forget(ended!);
    timers.runUntilIdle();
    assert.deepEqual(dropped, []);
  });

  it('drops 500 streams stalled together in batches of at most 4, 5 ms apart', () => {
    const timers = new VirtualTimers();
    const sweeper = new StallSweeper({ stallTimeoutMs: 10_000, timers, sweepIntervalMs: 500 });
    const dropped: number[] = [];
    const batches: number[] = [];
    const streams = stalledStreams(500, dropped);
    for (const stream of streams) sweeper.update(stream, true);
    let last = 0;
    while (timers.runNext()) {
      if (dropped.length > last) batches.push(dropped.length - last);
      last = dropped.length;
    }
    assert.equal(dropped.length, 500);
    assert.equal(new Set(dropped).size, 500);
    assert.equal(Math.max(...batches), 4);
    assert.equal(batches.length, Math.ceil(500 / 4));
    assert.equal(timers.now() - new VirtualTimers().now(), 10_000 + (batches.length - 1) * 5);
  });
});
