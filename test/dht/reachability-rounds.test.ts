import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeConfig } from '../../src/dht/config.js';
import { judgeRound, nextCheckInMs } from '../../src/dht/reachability.js';
import type { Round } from '../../src/dht/reachability-state.js';

/** Reachability rounds judged as values (issue 15; docs/protocol.md): given/when/then. */

function round(fields: Partial<Round>): Round {
  return { tokens: [], forwarded: 0, counted: [], inconclusive: 0, ...fields };
}

test('given any status, when a round counted a probe, then reachable, naming the probers, and no silent rounds', () => {
  assert.deepEqual(
    judgeRound('unreachable', 3, round({ counted: ['198.18.1.1:4433'], forwarded: 3 })),
    {
      status: { status: 'reachable', reason: 'probed unsolicited by 198.18.1.1:4433' },
      silentRounds: 0,
    },
  );
});

test('given unknown, when two peers forwarded and nothing arrived, then unreachable after one silent round', () => {
  assert.deepEqual(judgeRound('unknown', 0, round({ forwarded: 2 })), {
    status: { status: 'unreachable', reason: '2 peers had a third node dial us; none got through' },
    silentRounds: 1,
  });
});

test('given reachable, when one round is silent, then it stays reachable; when a second is, then unreachable', () => {
  const first = judgeRound('reachable', 0, round({ forwarded: 3 }));
  assert.deepEqual(first, { status: null, silentRounds: 1 });
  assert.deepEqual(judgeRound('reachable', first.silentRounds, round({ forwarded: 3 })), {
    status: { status: 'unreachable', reason: '3 peers had a third node dial us; none got through' },
    silentRounds: 2,
  });
});

test('given unknown, when a probe was inconclusive or only one peer forwarded, then nothing changes', () => {
  assert.deepEqual(judgeRound('unknown', 1, round({ forwarded: 3, inconclusive: 1 })), {
    status: null,
    silentRounds: 1,
  });
  assert.deepEqual(judgeRound('unknown', 1, round({ forwarded: 1 })), {
    status: null,
    silentRounds: 1,
  });
});

test('given the default settings, then the next check is due in 20 s until reachable, then in 10 min', () => {
  const config = makeConfig({});
  assert.deepEqual(
    (['unknown', 'unreachable', 'reachable'] as const).map((s) => nextCheckInMs(s, config)),
    [20_000, 20_000, 600_000],
  );
});
