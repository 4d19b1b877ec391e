import { test } from 'node:test';
import type { EventDraft } from '../../src/dht/node-context.js';
import { added, given, peerIn } from './given.js';

/**
 * Our own outage decides whether a failed RPC is a strike (SPEC §5). The driver reads it from
 * the log (src/projections/session.ts), so these decide from the folded events alone, as a
 * replay would: the last rpc_received or answered rpc_completed since node_started.
 */

const T0 = 1_000_000;
const MINUTE = 60_000;

const started = (g: ReturnType<typeof given>): EventDraft => ({
  type: 'node_started',
  data: {
    id: g.self.idHex,
    pk: Buffer.from(g.self.pk).toString('hex'),
    nonce: 0,
    addr: '127.0.0.1:1',
    version: 'test',
    difficulty: 0,
  },
  refs: {},
});

const completed = (outcome: 'ok' | 'timeout'): EventDraft => ({
  type: 'rpc_completed',
  data: { op: 'ping', rid: 1, outcome, latency_ms: 20, error_code: null },
  refs: {},
});

const received: EventDraft = {
  type: 'rpc_received',
  data: { op: 'ping', rid: 2, addr: '127.9.0.1:1', bytes: 90 },
  refs: {},
};

function failed(id: string, addr: string) {
  return ['peer_failed', { id, addr, failures: 1, error: 'timeout' }] as const;
}

test('given an answered RPC recorded 30 s ago, when a peer fails, then it gets a strike', () => {
  const g = given();
  const peer = peerIn(g.self, 159, '127.1.0.1:1');
  g.fold([started(g), added(peer, 159)], T0)
    .fold([completed('ok')], T0 + MINUTE)
    .when({ rpcFailed: peer, atMs: T0 + MINUTE + 30_000, lastSuccessAtMs: 'log' })
    .then([failed(peer.identity.idHex, peer.addr)]);
});

test('given only failed RPCs recorded for over a minute, when a peer fails, then it gets no strike (our network is down)', () => {
  const g = given();
  const peer = peerIn(g.self, 159, '127.1.0.1:1');
  g.fold([started(g), added(peer, 159), received], T0)
    .fold([completed('timeout')], T0 + 30_000)
    .when({ rpcFailed: peer, atMs: T0 + MINUTE + 1, lastSuccessAtMs: 'log' })
    .then([]);
});

test('given a request served 10 s ago, when a peer fails, then it gets a strike', () => {
  const g = given();
  const peer = peerIn(g.self, 159, '127.1.0.1:1');
  g.fold([started(g), added(peer, 159)], T0)
    .fold([received], T0 + 5 * MINUTE)
    .when({ rpcFailed: peer, atMs: T0 + 5 * MINUTE + 10_000, lastSuccessAtMs: 'log' })
    .then([failed(peer.identity.idHex, peer.addr)]);
});

test('given a restart after recent exchanges, when a restored peer fails before anyone answered, then it gets no strike', () => {
  const g = given();
  const peer = peerIn(g.self, 159, '127.1.0.1:1');
  g.fold([started(g), added(peer, 159), completed('ok')], T0)
    .fold([started(g)], T0 + 1_000)
    .when({ rpcFailed: peer, atMs: T0 + 2_000, lastSuccessAtMs: 'log' })
    .then([])
    .fold([completed('ok')], T0 + 3_000)
    .when({ rpcFailed: peer, atMs: T0 + 4_000, lastSuccessAtMs: 'log' })
    .then([failed(peer.identity.idHex, peer.addr)]);
});
