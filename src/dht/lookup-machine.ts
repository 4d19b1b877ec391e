import { toHex } from '../core/bytes.js';
import type { Pointer } from '../core/pointer.js';
import type { Request } from '../net/messages.js';
import { closestPeers } from '../projections/routing-table.js';
import { absorb, consider, listedCount, Returned } from './lookup-answers.js';
import { LookupPlanner, type LookupEnd } from './lookup-planner.js';
import type { LookupStarted, LookupStep, LookupStepped } from './lookup-steps.js';
import type {
  LookupContext,
  LookupEffect,
  LookupGoal,
  LookupInput,
  LookupOutput,
  LookupResult,
} from './lookup-values.js';
import type { EngineView } from './node-context.js';
import type { Candidate } from './shortlist.js';

/**
 * An iterative Kademlia lookup (SPEC §4.3) as a pure machine: `lookupStep(lookup, input,
 * context)` takes what happened (the lookup was recorded as started, a peer answered, an RPC
 * failed, a timer fired) and returns what to do: the steps to record, the timers to arm or
 * cancel and the queries to send, and the result once it is over. It touches no transport,
 * store or clock; the driver's runner (iterative-lookup.ts) records, arms, sends and feeds the
 * outcomes back. Like a projection's fold, it updates the lookup's own state in place. Its
 * inputs and outputs are in lookup-values.ts, what an answer brings in lookup-answers.ts.
 */

interface Query {
  readonly candidate: Candidate;
  readonly softTimeoutMs: number;
  readonly sentAtMs: number;
}

/** One lookup's state: the planner's window and what the lookup has found so far. */
export interface LookupState {
  readonly view: EngineView;
  readonly goal: LookupGoal;
  readonly planner: LookupPlanner;
  readonly targetHex: string;
  readonly startedAtMs: number;
  readonly pointers: Map<string, Pointer>;
  /**
   * Queries sent, by tag: the tag is the query's number in this lookup, from 1, so an array
   * indexed by it (slot 0 unused) holds them without a hash table growing as they are sent.
   */
  readonly queries: Array<Query | undefined>;
  lookupId: number;
  rpcs: number;
  finished: boolean;
}

const NOTHING: LookupOutput = { steps: [], effects: [], done: null };

/**
 * A new lookup seeded with the given peers and the k closest of the routing table, and its
 * started step to record (with lookup id 0: the id is the seq the driver records it as).
 */
export function openLookup(
  view: EngineView,
  goal: LookupGoal,
  nowMs: number,
): { lookup: LookupState; started: LookupStarted } {
  const { config } = view;
  const lookup: LookupState = {
    view,
    goal,
    planner: new LookupPlanner(goal.target, {
      k: config.k,
      alpha: config.alpha,
      perGroup: config.maxPeersPerGroupPerBucket,
      stopAtFirstValue: goal.kind === 'value' && goal.all !== true,
    }),
    targetHex: toHex(goal.target),
    startedAtMs: nowMs,
    pointers: new Map(),
    queries: [undefined],
    lookupId: 0,
    rpcs: 0,
    finished: false,
  };
  const seeds = [...(goal.seeds ?? [])];
  for (const peer of closestPeers(view.state.routing, goal.target, config.k)) seeds.push(peer);
  const considered = seeds.filter((peer) => consider(lookup, peer, 1));
  const started: LookupStarted = {
    type: 'started',
    lookupId: 0,
    at: nowMs,
    target: lookup.targetHex,
    kind: goal.kind,
    seeds: considered.map((p) => p.identity.idHex),
    seedAddrs: considered.map((p) => p.addr),
  };
  return { lookup, started };
}

/** Decides what one input means for the lookup. */
export function lookupStep(
  lookup: LookupState,
  input: LookupInput,
  context: LookupContext,
): LookupOutput {
  switch (input.type) {
    case 'started':
      return started(lookup, input.lookupId, context);
    case 'answered':
    case 'failed':
      return settled(lookup, input, context);
    case 'timer':
      return input.timer === 'deadline'
        ? finish(lookup, 'deadline', [], [], context)
        : slow(lookup, input.timer, context);
  }
}

function started(lookup: LookupState, lookupId: number, context: LookupContext): LookupOutput {
  lookup.lookupId = lookupId;
  const effects: LookupEffect[] = [
    { type: 'arm', timer: 'deadline', afterMs: lookup.view.config.lookupDeadlineMs },
  ];
  return advance(lookup, [], effects, context);
}

/** An answer or a failure: the query's step, then whatever the lookup does next. */
function settled(
  lookup: LookupState,
  input: Extract<LookupInput, { type: 'answered' | 'failed' }>,
  context: LookupContext,
): LookupOutput {
  const query = lookup.queries[input.tag];
  if (query === undefined) return NOTHING;
  const effects: LookupEffect[] = [{ type: 'cancel', timer: input.tag }];
  if (lookup.finished) return { steps: [], effects, done: null };
  const { candidate } = query;
  const returned = new Returned(input.type === 'answered' ? listedCount(input.response) : 0);
  let pointers = 0;
  if (input.type === 'answered') {
    const firstPointers = lookup.pointers.size === 0;
    pointers = absorb(lookup, candidate, input.response, returned, context.nowMs);
    lookup.planner.answered(candidate, pointers > 0);
    if (firstPointers && pointers > 0) graceAfterValue(lookup, input.latencyMs, effects, context);
  } else {
    lookup.planner.failed(candidate);
  }
  const outcome = input.type === 'answered' ? 'ok' : input.outcome;
  const step = stepOf(
    lookup,
    candidate,
    outcome,
    input.latencyMs,
    returned.close(),
    pointers,
    context,
  );
  return advance(lookup, [step], effects, context);
}

/**
 * A find that has its value waits for the queries still in flight only a short grace (SPEC
 * §4.3): twice the round trip that brought the value, at least MIN_GRACE_MS, never past a
 * query's own soft timeout. A live peer asked in the same round answers within about the
 * same time; a dead one no longer holds the answer back for a whole soft timeout, which a
 * loaded host's round trips inflate to hundreds of milliseconds.
 */
function graceAfterValue(
  lookup: LookupState,
  latencyMs: number,
  effects: LookupEffect[],
  context: LookupContext,
): void {
  if (lookup.goal.kind !== 'value' || lookup.goal.all === true) return;
  const graceMs = Math.max(MIN_GRACE_MS, 2 * latencyMs);
  for (let tag = 1; tag < lookup.queries.length; tag++) {
    const query = lookup.queries[tag]!;
    if (query.candidate.state !== 'inflight') continue;
    const softLeftMs = query.sentAtMs + query.softTimeoutMs - context.nowMs;
    if (softLeftMs <= graceMs && query.softTimeoutMs < lookup.view.config.rpcTimeoutMs) continue;
    effects.push({ type: 'cancel', timer: tag }, { type: 'arm', timer: tag, afterMs: graceMs });
  }
}

/** The shortest grace a find gives the queries in flight once it has its value. */
export const MIN_GRACE_MS = 50;

/**
 * Past the soft timeout (SPEC §4.3), or a find's grace once it has its value, the query
 * frees its slot and the lookup goes on. The soft timeout used (or the shorter wait the grace
 * allowed) is recorded as a `slow` step, so a replay re-decides it exactly.
 */
function slow(lookup: LookupState, tag: number, context: LookupContext): LookupOutput {
  const query = lookup.queries[tag];
  if (query === undefined || lookup.finished || query.candidate.state !== 'inflight')
    return NOTHING;
  // The soft timeout itself, or less when the find's grace cut the wait short.
  const waitedMs = Math.min(context.nowMs - query.sentAtMs, query.softTimeoutMs);
  if (waitedMs >= lookup.view.config.rpcTimeoutMs) return NOTHING;
  lookup.planner.slow(query.candidate);
  const step = stepOf(lookup, query.candidate, 'slow', waitedMs, new Returned(0), 0, context);
  return advance(lookup, [step], [], context);
}

/** Queries what the planner decides; finishes when it says the lookup is over. */
function advance(
  lookup: LookupState,
  steps: LookupStep[],
  effects: LookupEffect[],
  context: LookupContext,
): LookupOutput {
  const { goal } = lookup;
  const request: Request =
    goal.kind === 'value'
      ? { op: 'find_value', key: goal.target }
      : { op: 'find_node', target: goal.target };
  for (const candidate of lookup.planner.nextQueries()) {
    const tag = ++lookup.rpcs;
    lookup.queries[tag] = {
      candidate,
      softTimeoutMs: context.softTimeoutMs,
      sentAtMs: context.nowMs,
    };
    effects.push({ type: 'arm', timer: tag, afterMs: context.softTimeoutMs });
    effects.push({ type: 'send', tag, peer: candidate.peer, request });
  }
  const end = lookup.planner.outcome();
  if (end !== null) return finish(lookup, end, steps, effects, context);
  return { steps, effects, done: null };
}

function finish(
  lookup: LookupState,
  reason: LookupEnd,
  steps: LookupStep[],
  effects: LookupEffect[],
  context: LookupContext,
): LookupOutput {
  if (lookup.finished) return NOTHING;
  lookup.finished = true;
  const closest = lookup.planner.result();
  const pointers = [...lookup.pointers.values()].sort((a, b) => b.seq - a.seq);
  const done: LookupResult = {
    id: lookup.lookupId,
    closest: closest.map((c) => c.peer),
    pointers,
    hops: closest[0]?.hop ?? 0,
    rpcs: lookup.rpcs,
    durationMs: context.nowMs - lookup.startedAtMs,
    reason,
  };
  steps.push({
    type: 'finished',
    lookupId: lookup.lookupId,
    at: context.nowMs,
    target: lookup.targetHex,
    result: done.closest.map((p) => p.identity.idHex),
    pointers: pointers.length,
    hops: done.hops,
    rpcs: done.rpcs,
    durationMs: done.durationMs,
    reason,
  });
  effects.push({ type: 'cancel', timer: 'deadline' });
  return { steps, effects, done };
}

function stepOf(
  lookup: LookupState,
  candidate: Candidate,
  outcome: LookupStepped['outcome'],
  latencyMs: number,
  returned: Returned,
  pointers: number,
  context: LookupContext,
): LookupStepped {
  return {
    type: 'step',
    lookupId: lookup.lookupId,
    at: context.nowMs,
    target: lookup.targetHex,
    peer: candidate.peer.identity.idHex,
    addr: candidate.peer.addr,
    hop: candidate.hop,
    outcome,
    latencyMs,
    returned: returned.ids,
    returnedAddrs: returned.addrs,
    pointers,
  };
}
