import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HostPacer } from '../../src/net/stream-pacer.js';
import { VirtualTimers } from '../../src/net/virtual-timers.js';

describe('per-host read budget (issue 11: a flood is held back before it costs work)', () => {
  it('lets a host read its budget in a second, then holds it until the next second', async () => {
    const timers = new VirtualTimers();
    const pacer = new HostPacer(10, timers);
    assert.equal(pacer.take('127.0.0.2', 9), true);
    assert.equal(pacer.exhausted('127.0.0.2'), false);
    assert.equal(pacer.take('127.0.0.2', 1), false);
    assert.equal(pacer.exhausted('127.0.0.2'), true);
    let released = false;
    void pacer.nextWindow().then(() => (released = true));
    timers.runFor(999);
    await Promise.resolve();
    assert.equal(released, false);
    timers.runFor(1);
    await Promise.resolve();
    assert.equal(released, true);
    assert.equal(pacer.exhausted('127.0.0.2'), false);
  });

  it('counts hosts apart: one host past its budget does not hold another', () => {
    const pacer = new HostPacer(10, new VirtualTimers());
    pacer.take('127.0.0.2', 50);
    assert.equal(pacer.exhausted('127.0.0.2'), true);
    assert.equal(pacer.exhausted('127.0.0.3'), false);
    assert.equal(pacer.take('127.0.0.3', 1), true);
  });
});
