import { encodeFrame } from '../net/frame-codec.js';
import type { Request } from '../net/messages.js';
import type { NodeDriver } from './node-context.js';
import { observe } from './request-handler.js';
import { decideStrike } from './routing-decisions.js';
import { concludeRpc, type RpcConclusion, type RpcResult, type RpcTarget } from './rpc-outcome.js';

export type { RpcResult, RpcTarget };

/** How an RPC's failure counts, and how long it may take. */
export interface RpcOptions {
  /** False: a failure is reported but is no strike (the rejoin's pings, see bootstrap.ts). */
  readonly strikes?: boolean;
  /** The hard timeout of this RPC; `rpcTimeoutMs` unless the caller knows better (rejoin). */
  readonly timeoutMs?: number;
}

/**
 * Sends one request and reports one result. Every RPC is recorded (rpc_sent, rpc_completed);
 * what its outcome means is `concludeRpc`'s decision (rpc-outcome.ts), which this applies.
 */
export function sendRpc(
  node: NodeDriver,
  target: RpcTarget,
  request: Request,
  lookup: number | null,
  done: (result: RpcResult) => void,
  options: RpcOptions = {},
): void {
  const rid = node.rid();
  const frame = encodeFrame({ v: 1, rid, from: node.selfWire, body: { req: request } });
  node.record(
    'rpc_sent',
    { op: request.op, rid, addr: target.addr, bytes: frame.length },
    { peer: target.identity?.idHex ?? null, lookup },
  );
  const sent = { target, request, rid, lookup, sentAtMs: node.timers.now() };
  node.reach.noteContacted(target.addr, sent.sentAtMs);
  const strikes = options.strikes ?? true;
  const timeoutMs = options.timeoutMs ?? node.config.rpcTimeoutMs;
  node.transport.request(target.addr, frame, timeoutMs, (outcome) => {
    const context = { nowMs: node.timers.now(), stopping: node.stopping, strikes };
    const conclusion = concludeRpc(node, sent, outcome, context);
    applyConclusion(node, conclusion);
    done(conclusion.result);
  });
}

/** Records and applies what an outcome means, in the order RpcConclusion gives. */
function applyConclusion(node: NodeDriver, conclusion: RpcConclusion): void {
  const { refused, completed, exchange, strike } = conclusion;
  if (refused !== null) {
    node.transport.disconnect(refused.addr);
    if (refused.reason !== null) node.reject(refused.addr, refused.reason);
  }
  node.record(completed.type, completed.data, completed.refs);
  if (exchange !== null) {
    if (exchange.observedUs !== null) node.observedAs(exchange.observedUs, exchange.peer.addr);
    node.rtt.observe(exchange.rttSampleMs);
    node.reach.noteVerified(exchange.peer);
    observe(node, exchange.peer);
  } else if (strike !== null) {
    node.apply(decideStrike(node, strike.peer, strike.error, node.context()));
  }
}
