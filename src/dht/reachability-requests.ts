import { parseAddress, sourceHost } from '../core/address.js';
import { toHex } from '../core/bytes.js';
import type { PeerInfo } from '../core/node-info.js';
import type { Body, ReachabilityRequest } from '../net/messages.js';
import type { RemotePeer } from '../net/transport.js';
import type { DialLimits } from './dial-limiter.js';
import type { NodeDriver } from './node-context.js';
import { probeArrived, thirdParty } from './reachability.js';
import { sendRpc } from './rpc-client.js';

/** Dials we make for others' checks: a few a minute whatever the request rate (no amplification). */
export const DIAL_LIMITS: DialLimits = {
  windowMs: 60_000,
  perRequester: 6,
  perTarget: 3,
  totalPerWindow: 30,
};
/** dial_back requests we forward: a check asks us once, a node re-checks every few minutes. */
export const DIAL_BACK_LIMITS: DialLimits = {
  windowMs: 60_000,
  perRequester: 6,
  perTarget: 6,
  totalPerWindow: 60,
};

/**
 * The driver's answers to the reachability requests (docs/protocol.md, Reachability). Unlike
 * the pure handlers, `dial_back` and `dial` make the node send: bounded by the dial limiters.
 */
export function answerReachability(
  node: NodeDriver,
  request: ReachabilityRequest,
  peer: PeerInfo,
  remote: RemotePeer,
  answer: (body: Body) => void,
): void {
  switch (request.op) {
    case 'dial_back':
      dialBack(node, request.token, peer, remote, answer);
      return;
    case 'dial':
      answer(dial(node, request.addr, request.token, remote));
      return;
    case 'probe':
      probeArrived(node, toHex(request.token), remote.addr);
      answer({ res: { op: 'probed' } });
  }
}

/**
 * `dial_back`: the requester wants to know whether it is reachable. We never dial it ourselves
 * (it contacted us, so our packets would pass its NAT and prove nothing): we ask a third node
 * to dial the address we **observe** for the requester. The address is never taken from the
 * request, so nobody can aim the dial at someone else.
 */
function dialBack(
  node: NodeDriver,
  token: Uint8Array,
  requester: PeerInfo,
  remote: RemotePeer,
  answer: (body: Body) => void,
): void {
  const parsed = parseAddress(remote.addr);
  const host = parsed === null ? remote.addr : sourceHost(parsed.host);
  const allowed = node.dialBackLimiter.allow(host, host, node.timers.now());
  const third = allowed ? thirdParty(node, remote.addr) : null;
  const asked = third !== null && third.identity.idHex !== requester.identity.idHex;
  // Answer at once: waiting for the third node would outlast the requester's RPC timeout.
  if (asked) sendRpc(node, third, { op: 'dial', addr: remote.addr, token }, null, () => undefined);
  answer({ res: { op: 'dialing', observed: remote.addr, asked } });
}

/**
 * `dial`: a peer asks us to dial `addr` and deliver `token` in a `probe`. Bounded per
 * requester, per target and in total, so whatever the request rate we send a few handshakes
 * a minute: no amplification, and no scanning oracle (the answer says whether we will try,
 * never whether it worked).
 */
function dial(node: NodeDriver, addr: string, token: Uint8Array, remote: RemotePeer): Body {
  const target = parseAddress(addr);
  const requester = parseAddress(remote.addr);
  if (target === null || requester === null || /^(0\.0\.0\.0|::)$/.test(target.host))
    return { res: { op: 'will_dial', ok: false } };
  const ok = node.dialLimiter.allow(
    sourceHost(requester.host),
    sourceHost(target.host),
    node.timers.now(),
  );
  if (ok) sendRpc(node, { identity: null, addr }, { op: 'probe', token }, null, () => undefined);
  return { res: { op: 'will_dial', ok } };
}
