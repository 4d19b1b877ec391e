import { normalizeAddress } from '../core/address.js';
import { bytesEqual } from '../core/bytes.js';
import type { PeerInfo } from '../core/node-info.js';
import { decodeFrame, isDecodeError } from '../net/frame-codec.js';
import { ErrorCode, type Request, type Response } from '../net/messages.js';
import type { SendOutcome } from '../net/transport.js';
import { draft, type EngineView, type EventDraft } from './node-context.js';
import { peerFromWire } from './wire-peers.js';

/**
 * What an RPC's outcome means, decided from the bytes, the state and a context alone
 * (issue 10 item 1): the result its caller gets, the connection to drop, the rpc_completed to
 * record, and whether it is an exchange with a verified peer or a strike against one.
 * `sendRpc` (rpc-client.ts) records and applies it.
 */

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

/** An RPC as it was sent: what its outcome is interpreted against. */
export interface SentRpc {
  readonly target: RpcTarget;
  readonly request: Request;
  readonly rid: number;
  /** The lookup it belongs to, for the events' refs. */
  readonly lookup: number | null;
  readonly sentAtMs: number;
}

/** The inputs of the interpretation that are neither the RPC nor the state. */
export interface RpcContext {
  readonly nowMs: number;
  /** The node began to stop: its own transport closing fails what is in flight. */
  readonly stopping: boolean;
  /** False: a failure is reported but is no strike (the rejoin's pings, see bootstrap.ts). */
  readonly strikes: boolean;
}

/** A verified answer: an exchange with `peer`. */
export interface RpcExchange {
  readonly peer: PeerInfo;
  /** The round trip, a sample for the soft timeout's estimate. */
  readonly rttSampleMs: number;
  /** Where the peer sees us (a `pong`'s `observed`), a vote for our address; null if unsaid. */
  readonly observedUs: string | null;
}

/**
 * What the driver does with an outcome, in this order: drop the connection `refused` names
 * (counting it if it has a reason), record `completed`, then either the exchange (address
 * vote, RTT sample, recent peer, routing table's decision) or the strike (`decideStrike`,
 * decided once `completed` is recorded), then hand `result` to the caller.
 */
export interface RpcConclusion {
  readonly result: RpcResult;
  readonly refused: Refusal | null;
  readonly completed: EventDraft;
  readonly exchange: RpcExchange | null;
  /** A failure the peer is to blame for. */
  readonly strike: { readonly peer: PeerInfo; readonly error: string } | null;
}

export function concludeRpc(
  view: EngineView,
  sent: SentRpc,
  outcome: SendOutcome,
  context: RpcContext,
): RpcConclusion {
  const { target, request, rid, lookup } = sent;
  const latencyMs = context.nowMs - sent.sentAtMs;
  const { result, refused } = interpretAnswer(view, target, request, rid, outcome, latencyMs);
  const completed = draft(
    'rpc_completed',
    {
      op: request.op,
      rid,
      outcome: result.ok ? 'ok' : result.outcome,
      latency_ms: latencyMs,
      error_code: result.ok ? null : result.code,
    },
    { peer: result.ok ? result.peer.identity.idHex : (target.identity?.idHex ?? null), lookup },
  );
  const exchange = result.ok ? exchangeOf(result.peer, result.response, latencyMs) : null;
  const strike =
    !result.ok &&
    context.strikes &&
    target.identity !== null &&
    !result.answered &&
    !failedOnOurSide(context, outcome)
      ? { peer: target, error: result.error }
      : null;
  return { result, refused: refused ?? null, completed, exchange, strike };
}

function exchangeOf(peer: PeerInfo, response: Response, latencyMs: number): RpcExchange {
  const observedUs = response.op === 'pong' ? normalizeAddress(response.observed) : null;
  return { peer, rttSampleMs: latencyMs, observedUs };
}

/**
 * A failure that says nothing about the peer: our own transport closing under the RPC (the
 * node is stopping) or our own connection cap refusing to dial ('overloaded').
 */
function failedOnOurSide(context: RpcContext, outcome: SendOutcome): boolean {
  return context.stopping || (!outcome.ok && outcome.failure === 'overloaded');
}

/** An answer that proves the wrong peer: the connection is dropped, and counted if asked. */
export interface Refusal {
  readonly addr: string;
  readonly reason: string | null;
}

/**
 * A failed RPC's result. A function of the module, not a closure made per answer: the
 * closure was built on every call, answered or not.
 */
function failure(
  latencyMs: number,
  outcomeKind: 'timeout' | 'error',
  error: string,
  code: number | null = null,
  answered = false,
): { result: RpcResult } {
  return { result: { ok: false, outcome: outcomeKind, error, code, latencyMs, answered } };
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
  if (!outcome.ok)
    return failure(
      latencyMs,
      outcome.failure === 'timeout' ? 'timeout' : 'error',
      `${outcome.failure}: ${outcome.message}`,
    );
  const message = decodeFrame(outcome.frame);
  if (isDecodeError(message)) return failure(latencyMs, 'error', message.reason, message.code);
  if (message.rid !== rid)
    return failure(
      latencyMs,
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
    const failed = failure(
      latencyMs,
      'error',
      `invalid identity: ${reason}`,
      ErrorCode.INVALID_IDENTITY,
    );
    return { ...failed, refused: { addr, reason } };
  }
  const expected =
    target.identity?.idHex ?? ('expectedIdHex' in target ? target.expectedIdHex : undefined);
  if (expected !== undefined && peer.identity.idHex !== expected) {
    const failed = failure(
      latencyMs,
      'error',
      `expected ${expected.slice(0, 8)}, answered by ${peer.identity.idHex.slice(0, 8)}`,
      ErrorCode.INVALID_IDENTITY,
    );
    return { ...failed, refused: { addr, reason: null } };
  }
  const { body } = message;
  if ('err' in body)
    return failure(
      latencyMs,
      'error',
      `peer error ${body.err.code}: ${body.err.reason}`,
      body.err.code,
      true,
    );
  if (!('res' in body) || body.res.op !== EXPECTED_RESPONSE[request.op]) {
    return failure(
      latencyMs,
      'error',
      `unexpected answer to ${request.op}`,
      ErrorCode.INVALID_MESSAGE,
    );
  }
  return { result: { ok: true, response: body.res, peer, latencyMs } };
}
