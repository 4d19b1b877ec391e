import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeFrame } from '../../src/net/frame-codec.js';
import { ErrorCode, type Body } from '../../src/net/messages.js';
import type { SendOutcome } from '../../src/net/transport.js';
import { concludeRpc, type RpcContext, type SentRpc } from '../../src/dht/rpc-outcome.js';
import { peerToWire } from '../../src/dht/wire-peers.js';
import { sharedInterner } from '../../src/projections/peer-identity.js';
import { given, identity, peerIn } from './given.js';

/**
 * What an RPC's outcome means (rpc-outcome.ts `concludeRpc`), given/when/then without a
 * Transport: the result, the rpc_completed to record, and an exchange or a strike.
 */

const view = given().view;
const peer = peerIn(view.identity, 159, '198.18.1.1:4433');
const RID = 7;
const SENT: SentRpc = {
  target: peer,
  request: { op: 'ping' },
  rid: RID,
  lookup: null,
  sentAtMs: 1_000,
};
const NOW: RpcContext = { nowMs: 1_040, stopping: false, strikes: true };

function answer(body: Body, from = peer): SendOutcome {
  const frame = encodeFrame({ v: 1, rid: RID, from: peerToWire(from), body });
  return { ok: true, frame, remote: { addr: from.addr, certPk: from.identity.pk } };
}

const TIMEOUT: SendOutcome = { ok: false, failure: 'timeout', message: 'no answer in 2000 ms' };

function completed(
  outcome: string,
  errorCode: number | null,
  by: string | null = peer.identity.idHex,
) {
  return {
    type: 'rpc_completed',
    data: { op: 'ping', rid: RID, outcome, latency_ms: 40, error_code: errorCode },
    refs: { peer: by, lookup: null },
  };
}

test('given a ping to a peer, when it answers pong, then ok, an exchange with its RTT sample and the address it sees us at, and no strike', () => {
  const conclusion = concludeRpc(
    view,
    SENT,
    answer({ res: { op: 'pong', observed: '203.0.113.7:4433' } }),
    NOW,
  );
  assert.equal(conclusion.result.ok, true);
  assert.deepEqual(
    { ...conclusion, result: undefined },
    {
      result: undefined,
      refused: null,
      completed: completed('ok', null),
      // The process's shared peer: what the tables and the recent list keep.
      exchange: {
        peer: sharedInterner.peer(peer.identity, peer.addr, peer.caps),
        rttSampleMs: 40,
        observedUs: '203.0.113.7:4433',
      },
      strike: null,
    },
  );
});

test('given a ping to a peer, when it times out, then a strike against it', () => {
  const conclusion = concludeRpc(view, SENT, TIMEOUT, NOW);
  assert.deepEqual(
    [conclusion.completed, conclusion.exchange, conclusion.strike],
    [completed('timeout', null), null, { peer, error: 'timeout: no answer in 2000 ms' }],
  );
});

test('given a failure that says nothing about the peer, then no strike: it answered an error, we are stopping, our cap refused, the caller said so, or we sent to a bare address', () => {
  const overloaded: SendOutcome = { ok: false, failure: 'overloaded', message: 'cap' };
  const cases = [
    concludeRpc(view, SENT, answer({ err: { code: ErrorCode.OVERLOADED, reason: 'busy' } }), NOW),
    concludeRpc(view, SENT, TIMEOUT, { ...NOW, stopping: true }),
    concludeRpc(view, SENT, overloaded, NOW),
    concludeRpc(view, SENT, TIMEOUT, { ...NOW, strikes: false }),
    concludeRpc(view, { ...SENT, target: { identity: null, addr: peer.addr } }, TIMEOUT, NOW),
  ];
  assert.deepEqual(
    cases.map((c) => [c.result.ok, c.strike, c.exchange]),
    cases.map(() => [false, null, null]),
  );
});

test('given a ping to a peer, when another identity answers, then the connection is dropped (not counted), rpc_completed names the peer we asked, and it is a strike against it', () => {
  const stranger = { identity: identity(), addr: peer.addr, caps: peer.caps };
  const conclusion = concludeRpc(
    view,
    SENT,
    answer({ res: { op: 'pong', observed: '203.0.113.7:4433' } }, stranger),
    NOW,
  );
  assert.deepEqual(
    [conclusion.refused, conclusion.completed, conclusion.strike?.peer],
    [
      { addr: peer.addr, reason: null },
      completed('error', ErrorCode.INVALID_IDENTITY, peer.identity.idHex),
      peer,
    ],
  );
});
