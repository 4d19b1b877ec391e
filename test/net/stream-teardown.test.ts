import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TeardownQueue } from '../../src/net/stream-teardown.js';

/** Turns run by hand: each call of `turn()` runs what the queue scheduled for the next turn. */
function manualTurns(): { next: (run: () => void) => void; turn: () => boolean } {
  const scheduled: Array<() => void> = [];
  return {
    next: (run) => void scheduled.push(run),
    turn: () => {
      const run = scheduled.shift();
      run?.();
      return run !== undefined;
    },
  };
}

describe('stream teardown queue (issue 11: no burst that stops the loop)', () => {
  it('runs 100 teardowns queued in one turn 4 per later turn, in order', () => {
    const turns = manualTurns();
    const queue = new TeardownQueue(4, turns.next);
    const ran: number[] = [];
    const perTurn: number[] = [];
    for (let i = 0; i < 100; i++) queue.defer(() => ran.push(i));
    assert.deepEqual(ran, [], 'nothing runs in the turn that queued them');
    while (turns.turn()) perTurn.push(ran.length - perTurn.reduce((a, b) => a + b, 0));
    assert.deepEqual(
      ran,
      Array.from({ length: 100 }, (_, i) => i),
    );
    assert.equal(perTurn.length, 25);
    assert.ok(perTurn.every((n) => n === 4));
    assert.equal(queue.size, 0);
  });

  it('goes on with the others when one teardown throws', () => {
    const turns = manualTurns();
    const queue = new TeardownQueue(4, turns.next);
    const ran: number[] = [];
    queue.defer(() => {
      throw new Error('stream already gone');
    });
    queue.defer(() => ran.push(2));
    while (turns.turn());
    assert.deepEqual(ran, [2]);
  });
});
