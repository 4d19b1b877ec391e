import { normalizeAddress } from '../core/address.js';
import { bytesEqual } from '../core/bytes.js';
import type { PeerInfo } from '../core/node-info.js';
import { decodeFrame, encodeFrame, isDecodeError } from '../net/frame-codec.js';
import { ErrorCode, type Request, type Response } from '../net/messages.js';
import type { SendOutcome } from '../net/transport.js';
import type { DhtNode } from './dht-node.js';
import { observePeer, rejectPeer, strikePeer } from './routing-decisions.js';
import { peerFromWire } from './wire-peers.js';

/**
 * Where to send an RPC: a known peer (its ID is checked on answer), or an address with an
 * optional expected ID (`ID@host:port` bootstrap seeds).
 */
export type RpcTarget =
  PeerInfo | { readonly identity: null; readonly addr: string; readonly expectedIdHex?: string };

export type RpcResult =
  | {
      readonly ok: true;
      readonly response: Response;
      readonly peer: PeerInfo;
      readonly latencyMs: number;
    }
  | {
      readonly ok: false;
      readonly outcome: 'timeout' | 'error';
      readonly error: string;
      readonly code: number | null;
      readonly latencyMs: number;
      /** The peer answered (with an error): it is alive, so this is no strike against it. */
      readonly answered: boolean;
    };

const EXPECTED_RESPONSE: Record<Request['op'], Response['op']> = {
  ping: 'pong',
  find_node: 'nodes',
  find_value: 'value',
  store: 'stored',
};

/**
 * Sends one request and reports one result. Every RPC is recorded (rpc_sent, rpc_completed);
 * a verified answer counts as a direct exchange with the peer, a failure as a strike.
 */
export function sendRpc(
  node: DhtNode,
  target: RpcTarget,
  request: Request,
  lookup: number | null,
  done: (result: RpcResult) => void,
): void {
  const rid = node.rid();
  const frame = encodeFrame({ v: 1, rid, from: node.selfWire, body: { req: request } });
  const peerHex = target.identity?.idHex ?? null;
  node.record(
    'rpc_sent',
    { op: request.op, rid, addr: target.addr, bytes: frame.length },
    { peer: peerHex, lookup },
  );
  const sentAtMs = node.timers.now();
  node.transport.request(target.addr, frame, node.config.rpcTimeoutMs, (outcome) => {
    const latencyMs = node.timers.now() - sentAtMs;
    const result = interpret(node, target, request, rid, outcome, latencyMs);
    const answeredBy = result.ok ? result.peer.identity.idHex : peerHex;
    node.record(
      'rpc_completed',
      {
        op: request.op,
        rid,
        outcome: result.ok ? 'ok' : result.outcome,
        latency_ms: latencyMs,
        error_code: result.ok ? null : result.code,
      },
      { peer: answeredBy, lookup },
    );
    if (result.ok) {
      if (result.response.op === 'pong')
        node.observedAddr = normalizeAddress(result.response.observed) ?? node.observedAddr;
      observePeer(node, result.peer);
    } else if (target.identity !== null && !result.answered) strikePeer(node, target, result.error);
    done(result);
  });
}

function interpret(
  node: DhtNode,
  target: RpcTarget,
  request: Request,
  rid: number,
  outcome: SendOutcome,
  latencyMs: number,
): RpcResult {
  const fail = (
    outcomeKind: 'timeout' | 'error',
    error: string,
    code: number | null = null,
    answered = false,
  ): RpcResult => ({
    ok: false,
    outcome: outcomeKind,
    error,
    code,
    latencyMs,
    answered,
  });
  if (!outcome.ok)
    return fail(
      outcome.failure === 'timeout' ? 'timeout' : 'error',
      `${outcome.failure}: ${outcome.message}`,
    );
  const message = decodeFrame(outcome.frame);
  if (isDecodeError(message)) return fail('error', message.reason, message.code);
  if (message.rid !== rid)
    return fail(
      'error',
      `response rid ${message.rid} does not match ${rid}`,
      ErrorCode.INVALID_MESSAGE,
    );
  const peer = peerFromWire(
    message.from,
    node.identities,
    node.config.difficulty,
    outcome.remote.addr,
  );
  if (typeof peer === 'string' || !bytesEqual(message.from.pk, outcome.remote.certPk)) {
    node.transport.disconnect(outcome.remote.addr);
    rejectPeer(node, outcome.remote.addr, typeof peer === 'string' ? peer : 'certificate_mismatch');
    return fail(
      'error',
      `invalid identity: ${typeof peer === 'string' ? peer : 'certificate_mismatch'}`,
      ErrorCode.INVALID_IDENTITY,
    );
  }
  const expected =
    target.identity?.idHex ?? ('expectedIdHex' in target ? target.expectedIdHex : undefined);
  if (expected !== undefined && peer.identity.idHex !== expected) {
    node.transport.disconnect(outcome.remote.addr);
    return fail(
      'error',
      `expected ${expected.slice(0, 8)}, answered by ${peer.identity.idHex.slice(0, 8)}`,
      ErrorCode.INVALID_IDENTITY,
    );
  }
  const { body } = message;
  if ('err' in body)
    return fail('error', `peer error ${body.err.code}: ${body.err.reason}`, body.err.code, true);
  if (!('res' in body) || body.res.op !== EXPECTED_RESPONSE[request.op]) {
    return fail('error', `unexpected answer to ${request.op}`, ErrorCode.INVALID_MESSAGE);
  }
  return { ok: true, response: body.res, peer, latencyMs };
}
