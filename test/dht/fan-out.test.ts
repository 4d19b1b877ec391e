import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fanOutStep, openFanOut, runFanOut } from '../../src/dht/fan-out.js';

/** The pacing of rejoin's ping waves, refresh lookups and publish's stores, without a network. */

test('given five items two at a time, when started, then the first two start and it is not done', () => {
  const fanOut = openFanOut(5, 2);
  assert.deepEqual(fanOutStep(fanOut, 'start'), { start: [0, 1], done: false });
});

test('given two running of five, when each settles, then the next starts in order, and done comes once after the last settles', () => {
  const fanOut = openFanOut(5, 2);
  fanOutStep(fanOut, 'start');
  assert.deepEqual(
    ['settled', 'settled', 'settled', 'settled', 'settled'].map(() =>
      fanOutStep(fanOut, 'settled'),
    ),
    [
      { start: [2], done: false },
      { start: [3], done: false },
      { start: [4], done: false },
      { start: [], done: false },
      { start: [], done: true },
    ],
  );
});

test('given no items, when started, then it is done at once with nothing to start', () => {
  assert.deepEqual(fanOutStep(openFanOut(0, 8), 'start'), { start: [], done: true });
});

test('given items that settle synchronously, when run, then each starts once, in list order, and done is called once after the last', () => {
  const started: number[] = [];
  let done = 0;
  runFanOut(
    4,
    2,
    (index, settled) => {
      started.push(index);
      settled();
    },
    () => {
      assert.equal(started.length, 4, 'done after every item started');
      done++;
    },
  );
  assert.deepEqual({ started, done }, { started: [0, 1, 2, 3], done: 1 });
});
