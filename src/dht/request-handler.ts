import { bytesEqual } from '../core/bytes.js';
import { decodeFrame, encodeFrame, isDecodeError, type DecodeError } from '../net/frame-codec.js';
import { ErrorCode, type Body, type Request, type WireMessage } from '../net/messages.js';
import type { RemotePeer } from '../net/transport.js';
import type { PeerInfo } from '../core/node-info.js';
import type { DhtNode } from './dht-node.js';
import { handleFindNode } from './handlers/find-node.js';
import { handleFindValue } from './handlers/find-value.js';
import { handlePing } from './handlers/ping.js';
import { handleStore } from './handlers/store.js';
import { groupOf } from './diversity.js';
import { observePeer, rejectPeer } from './routing-decisions.js';
import { peerFromWire } from './wire-peers.js';

/** What a handler answers: a response body, or an error body. */
export type HandlerAnswer = Body;

function dispatch(
  node: DhtNode,
  request: Request,
  peer: PeerInfo,
  remote: RemotePeer,
): HandlerAnswer {
  switch (request.op) {
    case 'ping':
      return handlePing(remote);
    case 'find_node':
      return handleFindNode(node, request.target, peer);
    case 'find_value':
      return handleFindValue(node, request.key, peer);
    case 'store':
      return handleStore(node, request.pointer, peer);
  }
}

export function errorBody(code: ErrorCode, reason: string): Body {
  return { err: { code, reason } };
}

/**
 * One incoming frame: decode, check the sender's identity against the connection, record it,
 * answer it. Bad input gets an `err` and a peer_rejected count; it never throws.
 */
export function handleIncoming(
  node: DhtNode,
  input: Uint8Array | DecodeError,
  remote: RemotePeer,
  reply: (frame: Uint8Array | null) => void,
): void {
  const answer = (rid: number, body: Body): void =>
    reply(encodeFrame({ v: 1, rid, from: node.selfWire, body }));
  const message = isDecodeError(input) ? input : decodeFrame(input);
  if (isDecodeError(message)) {
    rejectPeer(node, remote.addr, `invalid_frame_${message.code}`);
    answer(message.rid ?? 0, errorBody(message.code, message.reason));
    return;
  }
  if (!withinRate(node, remote.addr)) {
    rejectPeer(node, remote.addr, 'rate_limited');
    answer(message.rid, errorBody(ErrorCode.OVERLOADED, 'rate limited'));
    return;
  }
  if (!('req' in message.body)) {
    rejectPeer(node, remote.addr, 'unexpected_response');
    answer(message.rid, errorBody(ErrorCode.INVALID_MESSAGE, 'expected a request'));
    return;
  }
  const peer = verifySender(node, message, remote);
  if (typeof peer === 'string') {
    rejectPeer(node, remote.addr, peer);
    answer(message.rid, errorBody(ErrorCode.INVALID_IDENTITY, `invalid identity: ${peer}`));
    return;
  }
  const { req } = message.body;
  const size = isDecodeError(input) ? 0 : input.length;
  node.record(
    'rpc_received',
    { op: req.op, rid: message.rid, addr: remote.addr, bytes: size },
    { peer: peer.identity.idHex },
  );
  answer(message.rid, dispatch(node, req, peer, remote));
  observePeer(node, peer);
}

/** Loopback is exempt unless the node runs with strict IP diversity, like the /24 caps. */
function withinRate(node: DhtNode, addr: string): boolean {
  return groupOf(addr, node.config) === null || node.requestLimiter.allow(addr, node.timers.now());
}

/** The sender's `from` must carry the connection's certificate key and a valid identity. */
function verifySender(node: DhtNode, message: WireMessage, remote: RemotePeer): PeerInfo | string {
  if (!bytesEqual(message.from.pk, remote.certPk)) return 'certificate_mismatch';
  return peerFromWire(message.from, node.identities, node.config.difficulty, remote.addr);
}
