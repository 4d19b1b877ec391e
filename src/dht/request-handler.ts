import { bytesEqual } from '../core/bytes.js';
import type { PeerInfo } from '../core/node-info.js';
import { decodeFrame, encodeFrame, isDecodeError, type DecodeError } from '../net/frame-codec.js';
import { ErrorCode, type Body, type WireMessage } from '../net/messages.js';
import type { RemotePeer } from '../net/transport.js';
import { peekRid } from './admission.js';
import { answerRequest } from './handlers/dispatch.js';
import { storeAnswer } from './handlers/store.js';
import type { EngineView, NodeDriver } from './node-context.js';
import { decideObserved } from './routing-decisions.js';
import { storePointer } from './store-pointer.js';
import { peerFromWire } from './wire-peers.js';

export function errorBody(code: ErrorCode, reason: string): Body {
  return { err: { code, reason } };
}

/** The sender's `from` must carry the connection's certificate key and a valid identity. */
export function verifySender(
  view: EngineView,
  message: WireMessage,
  remote: RemotePeer,
): PeerInfo | string {
  if (!bytesEqual(message.from.pk, remote.certPk)) return 'certificate_mismatch';
  return peerFromWire(message.from, view.identities, view.config.difficulty, remote.addr);
}

/**
 * The driver's side of one incoming frame: admit, decode, verify the sender against the
 * connection, then record what the handler decided and answer. Bad input gets an `err` and
 * an aggregated peer_rejected; it never throws.
 */
export function handleIncoming(
  node: NodeDriver,
  admit: (addr: string) => boolean,
  input: Uint8Array | DecodeError,
  remote: RemotePeer,
  reply: (frame: Uint8Array | null) => void,
): void {
  // Admission comes before decoding (SPEC §3.1): a refusal costs a map lookup and an answer.
  if (!admit(remote.addr)) {
    node.reject(remote.addr, 'rate_limited');
    const rid = isDecodeError(input) ? (input.rid ?? 0) : peekRid(input);
    answerWith(node, reply, rid, errorBody(ErrorCode.OVERLOADED, 'rate limited'));
    return;
  }
  const message = isDecodeError(input) ? input : decodeFrame(input);
  if (isDecodeError(message)) {
    node.reject(remote.addr, `invalid_frame_${message.code}`);
    answerWith(node, reply, message.rid ?? 0, errorBody(message.code, message.reason));
    return;
  }
  if (!('req' in message.body)) {
    node.reject(remote.addr, 'unexpected_response');
    answerWith(
      node,
      reply,
      message.rid,
      errorBody(ErrorCode.INVALID_MESSAGE, 'expected a request'),
    );
    return;
  }
  const peer = verifySender(node, message, remote);
  if (typeof peer === 'string') {
    node.reject(remote.addr, peer);
    answerWith(
      node,
      reply,
      message.rid,
      errorBody(ErrorCode.INVALID_IDENTITY, `invalid identity: ${peer}`),
    );
    return;
  }
  const { req } = message.body;
  node.record(
    'rpc_received',
    {
      op: req.op,
      rid: message.rid,
      addr: remote.addr,
      bytes: isDecodeError(input) ? 0 : input.length,
    },
    { peer: peer.identity.idHex },
  );
  const nowMs = node.timers.now();
  if (req.op === 'store') {
    const outcome = storePointer(node, req.pointer, peer.addr, peer.identity.idHex);
    answerWith(node, reply, message.rid, storeAnswer(outcome));
  } else if (req.op === 'dial_back' || req.op === 'dial' || req.op === 'probe') {
    node.answerReachability(req, peer, remote, (body) =>
      answerWith(node, reply, message.rid, body),
    );
  } else {
    answerWith(node, reply, message.rid, answerRequest(node, req, peer, remote, nowMs).body);
  }
  node.reach.requestArrived(peer, req.op, nowMs);
  observe(node, peer);
}

/** Sends `body` as the answer to `rid` (a function, not a closure made per request). */
function answerWith(
  node: NodeDriver,
  reply: (frame: Uint8Array | null) => void,
  rid: number,
  body: Body,
): void {
  reply(encodeFrame({ v: 1, rid, from: node.selfWire, body }));
}

/** A verified exchange with `peer`: the routing table's decision, recorded and applied. */
export function observe(node: NodeDriver, peer: PeerInfo): void {
  const decision = decideObserved(node, peer, node.context());
  if (decision.rejected !== undefined) node.reject(peer.addr, decision.rejected);
  node.apply(decision);
}
