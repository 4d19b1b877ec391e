import { normalizeAddress } from '../core/address.js';
import { bytesEqual } from '../core/bytes.js';
import type { PeerInfo } from '../core/node-info.js';
import { decodeFrame, encodeFrame, isDecodeError } from '../net/frame-codec.js';
import { ErrorCode, type Request, type Response } from '../net/messages.js';
import type { SendOutcome } from '../net/transport.js';
import type { EngineView, NodeDriver } from './node-context.js';
import { observe } from './request-handler.js';
import { decideStrike } from './routing-decisions.js';
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
  dial_back: 'dialing',
  dial: 'will_dial',
  probe: 'probed',
};

/**
 * Sends one request and reports one result. Every RPC is recorded (rpc_sent, rpc_completed);
 * a verified answer counts as a direct exchange with the peer, a failure as a strike.
 */
export function sendRpc(
  node: NodeDriver,
  target: RpcTarget,
  request: Request,
  lookup: number | null,
  done: (result: RpcResult) => void,
  /** False: a failure is reported but is not a strike (the rejoin's pings, see bootstrap.ts). */
  strikes = true,
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
  node.reach.noteContacted(target.addr, sentAtMs);
  node.transport.request(target.addr, frame, node.config.rpcTimeoutMs, (outcome) => {
    const nowMs = node.timers.now();
    const latencyMs = nowMs - sentAtMs;
    const { result, refused } = interpretAnswer(node, target, request, rid, outcome, latencyMs);
    if (refused !== undefined) {
      node.transport.disconnect(refused.addr);
      if (refused.reason !== null) node.reject(refused.addr, refused.reason);
    }
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
      if (result.response.op === 'pong') {
        const observed = normalizeAddress(result.response.observed);
        if (observed !== null) node.observedAs(observed, result.peer.addr);
      }
      node.rtt.observe(latencyMs);
      node.reach.noteVerified(result.peer);
      observe(node, result.peer);
    } else if (
      strikes &&
      target.identity !== null &&
      !result.answered &&
      !failedOnOurSide(node, outcome)
    ) {
      node.apply(decideStrike(node, target, result.error, node.context()));
    }
    done(result);
  });
}

/**
 * A failure that says nothing about the peer: our own transport closing under the RPC (the
 * node is stopping) or our own connection cap refusing to dial ('overloaded').
 */
function failedOnOurSide(node: NodeDriver, outcome: SendOutcome): boolean {
  return node.stopping || (!outcome.ok && outcome.failure === 'overloaded');
}

/** An answer that proves the wrong peer: the connection is dropped, and counted if asked. */
interface Refusal {
  readonly addr: string;
  readonly reason: string | null;
}

/** What an RPC's outcome means, decided from the bytes and the state alone. */
export function interpretAnswer(
  view: EngineView,
  target: RpcTarget,
  request: Request,
  rid: number,
  outcome: SendOutcome,
  latencyMs: number,
): { result: RpcResult; refused?: Refusal } {
  const fail = (
    outcomeKind: 'timeout' | 'error',
    error: string,
    code: number | null = null,
    answered = false,
  ): { result: RpcResult } => ({
    result: { ok: false, outcome: outcomeKind, error, code, latencyMs, answered },
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
    view.identities,
    view.config.difficulty,
    outcome.remote.addr,
  );
  const { addr } = outcome.remote;
  if (typeof peer === 'string' || !bytesEqual(message.from.pk, outcome.remote.certPk)) {
    const reason = typeof peer === 'string' ? peer : 'certificate_mismatch';
    const failed = fail('error', `invalid identity: ${reason}`, ErrorCode.INVALID_IDENTITY);
    return { ...failed, refused: { addr, reason } };
  }
  const expected =
    target.identity?.idHex ?? ('expectedIdHex' in target ? target.expectedIdHex : undefined);
  if (expected !== undefined && peer.identity.idHex !== expected) {
    const failed = fail(
      'error',
      `expected ${expected.slice(0, 8)}, answered by ${peer.identity.idHex.slice(0, 8)}`,
      ErrorCode.INVALID_IDENTITY,
    );
    return { ...failed, refused: { addr, reason: null } };
  }
  const { body } = message;
  if ('err' in body)
    return fail('error', `peer error ${body.err.code}: ${body.err.reason}`, body.err.code, true);
  if (!('res' in body) || body.res.op !== EXPECTED_RESPONSE[request.op]) {
    return fail('error', `unexpected answer to ${request.op}`, ErrorCode.INVALID_MESSAGE);
  }
  return { result: { ok: true, response: body.res, peer, latencyMs } };
}
