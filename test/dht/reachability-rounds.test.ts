import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeConfig } from '../../src/dht/config.js';
import { awaitingQuiet, nextCheckInMs } from '../../src/dht/reachability.js';
import { NAT_MAPPING_WINDOW_MS } from '../../src/dht/reachability-evidence.js';
import {
  judgeRound,
  openRound,
  peersToAsk,
  roundStep,
  type Round,
  type RoundContext,
} from '../../src/dht/reachability-round.js';
import { toHex } from '../../src/core/bytes.js';
import { Caps, type PeerInfo } from '../../src/core/node-info.js';
import type { Random } from '../../src/core/random.js';
import type { Response } from '../../src/net/messages.js';
import { identity } from './given.js';

/** Reachability rounds judged as values (issue 15; docs/protocol.md): given/when/then. */

function round(fields: Partial<Round>): Round {
  return {
    tokens: [],
    waiting: 0,
    forwarded: 0,
    counted: [],
    inconclusive: 0,
    over: false,
    ...fields,
  };
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

test('given unknown, when a probe was inconclusive or only one peer forwarded, then no status changes and the verdict says why, and only the inconclusive one awaits quiet', () => {
  assert.deepEqual(judgeRound('unknown', 1, round({ forwarded: 3, inconclusive: 2 })), {
    status: null,
    silentRounds: 1,
    note: 'checked: 2 probes arrived, only from hosts we had traffic with (no proof); the next check waits for a host quiet for 6 min',
    awaitQuiet: true,
  });
  assert.deepEqual(judgeRound('unknown', 1, round({ forwarded: 1 })), {
    status: null,
    silentRounds: 1,
    note: 'checked: 1 of the peers asked had a third node dial us, too few to judge',
  });
});

test('given the default settings, then the next check is due in 20 s until reachable, then in 10 min', () => {
  const config = makeConfig({});
  assert.deepEqual(
    (['unknown', 'unreachable', 'reachable'] as const).map((s) => nextCheckInMs(s, config)),
    [20_000, 20_000, 600_000],
  );
});

/** A round as a machine: `roundStep` given/when/then, without a node or a network. */

const ASKED: readonly PeerInfo[] = ['198.18.1.1:4433', '198.18.2.1:4433', '198.18.3.1:4433'].map(
  (addr) => ({ identity: identity(), addr, caps: Caps.DHT }),
);
const TOKENS = [1, 2, 3].map((n) => new Uint8Array(16).fill(n));
const UNKNOWN: RoundContext = { status: 'unknown', silentRounds: 0, probeWaitMs: 5_000 };

function dialing(asked: boolean, observed = '203.0.113.7:4433'): Response {
  return { op: 'dialing', observed, asked };
}

/** A round of the three peers, started. */
function started(context = UNKNOWN): Round {
  const round = openRound();
  roundStep(round, { type: 'start', asked: ASKED, tokens: TOKENS }, context);
  return round;
}

test('given three peers to ask, when the round starts, then one dial_back each, in order, with its token, and nothing armed', () => {
  const round = openRound();
  assert.deepEqual(roundStep(round, { type: 'start', asked: ASKED, tokens: TOKENS }, UNKNOWN), {
    effects: ASKED.map((peer, tag) => ({
      type: 'send',
      tag,
      peer,
      request: { op: 'dial_back', token: TOKENS[tag] },
    })),
    over: false,
    verdict: null,
  });
  assert.deepEqual(round.tokens, TOKENS.map(toHex));
});

test('given nobody to ask, when the round starts, then it is over at once, having sent nothing and judged nothing', () => {
  assert.deepEqual(roundStep(openRound(), { type: 'start', asked: [], tokens: [] }, UNKNOWN), {
    effects: [],
    over: true,
    verdict: null,
  });
});

test('given a started round, when two peers answer and one fails, then each answer is a vote, and the probe wait is armed once, after the last', () => {
  const round = started();
  const answered = (tag: number, asked: boolean) =>
    roundStep(
      round,
      { type: 'answered', tag, response: dialing(asked), peerAddr: ASKED[tag]!.addr },
      UNKNOWN,
    );
  const vote = (tag: number) => ({
    type: 'vote',
    observed: '203.0.113.7:4433',
    observerAddr: ASKED[tag]!.addr,
  });
  assert.deepEqual(
    [answered(1, true), roundStep(round, { type: 'failed', tag: 0 }, UNKNOWN), answered(2, false)],
    [
      { effects: [vote(1)], over: false, verdict: null },
      { effects: [], over: false, verdict: null },
      { effects: [vote(2), { type: 'arm', afterMs: 5_000 }], over: false, verdict: null },
    ],
  );
  assert.equal(round.forwarded, 1);
});

test('given a round waiting for probes, when a probe that proves arrives and the wait ends, then reachable, naming the prober, the round is over and its record says what it saw', () => {
  const round = started();
  for (const tag of [0, 1, 2]) roundStep(round, { type: 'failed', tag }, UNKNOWN);
  const probe = { tokenHex: toHex(TOKENS[1]!), remote: '198.51.100.9:4433', proof: true };
  assert.deepEqual(roundStep(round, { type: 'probed', ...probe }, UNKNOWN).effects, []);
  assert.deepEqual(roundStep(round, { type: 'timer' }, UNKNOWN), {
    effects: [
      {
        type: 'record',
        checked: {
          asked: 3,
          forwarded: 0,
          counted: ['198.51.100.9:4433'],
          inconclusive: 0,
          outcome: 'reachable',
          silent_rounds: 0,
        },
      },
    ],
    over: true,
    verdict: {
      status: { status: 'reachable', reason: 'probed unsolicited by 198.51.100.9:4433' },
      silentRounds: 0,
    },
  });
});

test("given two peers forwarded, when only a probe with another round's token arrives, then it is ignored and the round is silent: unreachable", () => {
  const round = started();
  for (const tag of [0, 1, 2])
    roundStep(
      round,
      { type: 'answered', tag, response: dialing(tag > 0), peerAddr: ASKED[tag]!.addr },
      UNKNOWN,
    );
  const stray = { tokenHex: toHex(new Uint8Array(16)), remote: '198.51.100.9:4433', proof: true };
  roundStep(round, { type: 'probed', ...stray }, UNKNOWN);
  assert.deepEqual(roundStep(round, { type: 'timer' }, UNKNOWN).verdict, {
    status: { status: 'unreachable', reason: '2 peers had a third node dial us; none got through' },
    silentRounds: 1,
  });
});

test('given reachable, when a round is silent, then the verdict changes no status and counts one silent round; after it, inputs do nothing', () => {
  const reachable: RoundContext = { ...UNKNOWN, status: 'reachable' };
  const round = started(reachable);
  for (const tag of [0, 1, 2])
    roundStep(
      round,
      { type: 'answered', tag, response: dialing(true), peerAddr: ASKED[tag]!.addr },
      reachable,
    );
  const inconclusive = { tokenHex: toHex(TOKENS[0]!), remote: '198.18.1.1:4433', proof: false };
  assert.deepEqual(roundStep(round, { type: 'timer' }, reachable).verdict, {
    status: null,
    silentRounds: 1,
  });
  assert.deepEqual(
    [
      roundStep(round, { type: 'probed', ...inconclusive }, reachable),
      roundStep(round, { type: 'timer' }, reachable),
    ],
    [
      { effects: [], over: false, verdict: null },
      { effects: [], over: false, verdict: null },
    ],
  );
  assert.equal(round.inconclusive, 0, 'a probe after the round is not counted');
});

/** Draws the first of what is left every time: the order of the candidates decides. */
const FIRST: Random = {
  u32: () => 0,
  float: () => 0,
  int: () => 0,
  bytes: (n) => new Uint8Array(n),
};

test('given candidates, two of them on one host and one with a bad address, when a round picks whom to ask, then three on distinct hosts', () => {
  const at = (addr: string): PeerInfo => ({ identity: identity(), addr, caps: Caps.DHT });
  const candidates = [
    at('198.18.1.1:4433'),
    at('198.18.1.1:4434'),
    at('not an address'),
    at('198.18.2.1:4433'),
    at('[2001:db8::1]:4433'),
    at('198.18.4.1:4433'),
  ];
  assert.deepEqual(
    peersToAsk(candidates, FIRST).map((peer) => peer.addr),
    ['198.18.1.1:4433', '198.18.2.1:4433', '[2001:db8::1]:4433'],
  );
  assert.deepEqual(peersToAsk(candidates.slice(0, 3), FIRST).length, 1);
});

test('given candidates on three hosts, one of them quiet, when a round after one that proved nothing picks whom to ask, then it asks the other two and leaves the quiet one to be a third node', () => {
  const at = (addr: string): PeerInfo => ({ identity: identity(), addr, caps: Caps.DHT });
  const candidates = [at('198.18.1.1:4433'), at('198.18.2.1:4433'), at('198.18.3.1:4433')];
  const quiet = (peer: PeerInfo): boolean => peer.addr.startsWith('198.18.1.');
  assert.deepEqual(
    peersToAsk(candidates, FIRST, quiet).map((peer) => peer.addr),
    ['198.18.2.1:4433', '198.18.3.1:4433'],
  );
  assert.equal(peersToAsk(candidates, FIRST).length, 3, 'an ordinary round asks every host');
});

test('given quiet candidates on several hosts, when a round after one that proved nothing picks whom to ask, then busy hosts come first and one quiet host is always left, unless it is the only one', () => {
  const at = (addr: string): PeerInfo => ({ identity: identity(), addr, caps: Caps.DHT });
  const onHosts = (n: number): PeerInfo[] =>
    Array.from({ length: n }, (_, i) => at(`198.18.${i + 1}.1:4433`));
  const quietFrom = (first: number) => (peer: PeerInfo) => Number(peer.addr.split('.')[2]) >= first;
  const addrs = (peers: PeerInfo[]): string[] => peers.map((peer) => peer.addr);
  // Hosts 1 and 2 busy, 3 and 4 quiet: both busy ones, then one quiet one, one left.
  assert.deepEqual(addrs(peersToAsk(onHosts(4), FIRST, quietFrom(3))), [
    '198.18.1.1:4433',
    '198.18.2.1:4433',
    '198.18.3.1:4433',
  ]);
  // All three quiet: two asked.
  assert.equal(peersToAsk(onHosts(3), FIRST, quietFrom(1)).length, 2);
  // A single host, quiet: nobody else to ask, so it is asked (it may know a third node).
  assert.deepEqual(addrs(peersToAsk(onHosts(1), FIRST, quietFrom(1))), ['198.18.1.1:4433']);
  // No quiet host at all (the wait ran out): up to three busy ones, as an ordinary round.
  assert.equal(peersToAsk(onHosts(5), FIRST, quietFrom(9)).length, 3);
});

test('given a round that proved nothing ended at t, when a periodic check falls due, then it waits until a host we know is quiet or t plus the mapping window, and never without such a round', () => {
  const t = 1_000_000;
  assert.equal(awaitingQuiet(null, t, false), false);
  assert.equal(awaitingQuiet(t, t + 20_000, false), true);
  assert.equal(awaitingQuiet(t, t + 20_000, true), false, 'a quiet host ends the wait');
  assert.equal(awaitingQuiet(t, t + NAT_MAPPING_WINDOW_MS - 1, false), true);
  assert.equal(awaitingQuiet(t, t + NAT_MAPPING_WINDOW_MS, false), false);
});

test('given rounds that end silent, with only inconclusive probes, or with one forward, when the wait ends, then each record names its outcome and the silent rounds after it', () => {
  const finished = (forwards: number, inconclusiveProbes: number, context = UNKNOWN) => {
    const round = started(context);
    for (const tag of [0, 1, 2])
      roundStep(
        round,
        { type: 'answered', tag, response: dialing(tag < forwards), peerAddr: ASKED[tag]!.addr },
        context,
      );
    for (let i = 0; i < inconclusiveProbes; i++) {
      const probe = { tokenHex: toHex(TOKENS[i]!), remote: ASKED[i]!.addr, proof: false };
      roundStep(round, { type: 'probed', ...probe }, context);
    }
    return roundStep(round, { type: 'timer' }, context).effects;
  };
  const record = (fields: object) => [
    { type: 'record', checked: { asked: 3, counted: [], inconclusive: 0, ...fields } },
  ];
  assert.deepEqual(
    finished(3, 0, { ...UNKNOWN, silentRounds: 1 }),
    record({ forwarded: 3, outcome: 'silent', silent_rounds: 2 }),
  );
  assert.deepEqual(
    finished(3, 2),
    record({ forwarded: 3, inconclusive: 2, outcome: 'inconclusive', silent_rounds: 0 }),
  );
  assert.deepEqual(finished(1, 0), record({ forwarded: 1, outcome: 'too_few', silent_rounds: 0 }));
});
