import { toHex } from '../core/bytes.js';
import type { TimerHandle } from '../core/clock.js';
import { servesDht, type PeerInfo } from '../core/node-info.js';
import type { NodeId } from '../core/node-id.js';
import { checkPointer, type Pointer } from '../core/pointer.js';
import type { LookupKind, StepOutcome, StoredEvent } from '../events/event-types.js';
import type { Response } from '../net/messages.js';
import { closestEntries } from '../projections/routing-table.js';
import type { NodeDriver } from './node-context.js';
import { groupOf } from './diversity.js';
import { sendRpc, type RpcResult } from './rpc-client.js';
import { LookupPlanner, type LookupEnd } from './lookup-planner.js';
import {
  stepDraft,
  type LookupStarted,
  type LookupStep,
  type LookupStepped,
} from './lookup-steps.js';
import type { Candidate } from './shortlist.js';
import { peerFromWire } from './wire-peers.js';

export type { LookupEnd };

export interface LookupResult {
  /** The `seq` of its lookup_started event (SPEC §4.3); 0 if the journal was unavailable. */
  readonly id: number;
  readonly closest: PeerInfo[];
  /** Valid pointers merged by publisher, highest seq kept (value lookups). */
  readonly pointers: Pointer[];
  readonly hops: number;
  readonly rpcs: number;
  readonly durationMs: number;
  readonly reason: LookupEnd;
}

export interface LookupRequest {
  readonly target: NodeId;
  readonly kind: LookupKind;
  /** find --all: a value lookup that runs to the end instead of stopping at the first pointers. */
  readonly all?: boolean;
  /** Peers to start from besides the routing table (bootstrap seeds). */
  readonly seeds?: readonly PeerInfo[];
  /** Told each step as it happens, the same value that is recorded (issue 10 item 4). */
  readonly onStep?: (step: LookupStep) => void;
}

/**
 * An iterative Kademlia lookup (SPEC §4.3): alpha requests in flight, the k closest as the
 * goal, per-RPC timeouts and a deadline. Every step is recorded, so it can be replayed.
 */
export class IterativeLookup {
  private readonly planner: LookupPlanner;
  private readonly pointers = new Map<string, Pointer>();
  private readonly targetHex: string;
  private readonly startedAtMs: number;
  private id = 0;
  private rpcs = 0;
  private finished = false;
  private deadline: TimerHandle | null = null;

  constructor(
    private readonly node: NodeDriver,
    private readonly request: LookupRequest,
    private readonly onDone: (result: LookupResult) => void,
  ) {
    const { config } = node;
    this.planner = new LookupPlanner(request.target, {
      k: config.k,
      alpha: config.alpha,
      perGroup: config.maxPeersPerGroupPerBucket,
      stopAtFirstValue: request.kind === 'value' && request.all !== true,
    });
    this.targetHex = toHex(request.target);
    this.startedAtMs = node.timers.now();
  }

  start(): this {
    const seeds = [...(this.request.seeds ?? [])];
    for (const entry of closestEntries(
      this.node.state.routing,
      this.request.target,
      this.node.config.k,
    ))
      seeds.push(entry.peer);
    const considered = seeds.filter((peer) => this.consider(peer, 1));
    const step: LookupStarted = {
      type: 'started',
      lookupId: 0,
      at: this.node.timers.now(),
      target: this.targetHex,
      kind: this.request.kind,
      seeds: considered.map((p) => p.identity.idHex),
      seedAddrs: considered.map((p) => p.addr),
    };
    const started = this.record(step);
    this.id = started?.seq ?? 0;
    this.request.onStep?.({ ...step, lookupId: this.id, at: started?.at ?? step.at });
    this.deadline = this.node.timers.setTimer(this.node.config.lookupDeadlineMs, () =>
      this.finish('deadline'),
    );
    this.advance();
    return this;
  }

  private consider(peer: PeerInfo, hop: number): boolean {
    const { idHex } = peer.identity;
    // Most peers of an answer are already candidates: no group to work out for them.
    if (idHex === this.node.idHex || !servesDht(peer.caps) || this.planner.get(idHex) !== undefined)
      return false;
    return this.planner.consider(peer, hop, groupOf(peer.addr, this.node.config));
  }

  /** Sends what the planner decides; finishes when it says the lookup is over. */
  private advance(): void {
    if (this.finished) return;
    for (const candidate of this.planner.nextQueries()) this.query(candidate);
    const end = this.planner.outcome();
    if (end !== null) this.finish(end);
  }

  private query(candidate: Candidate): void {
    this.rpcs++;
    const request =
      this.request.kind === 'value'
        ? ({ op: 'find_value', key: this.request.target } as const)
        : ({ op: 'find_node', target: this.request.target } as const);
    const softMs = this.node.rtt.softTimeoutMs(this.node.config.rpcTimeoutMs);
    const soft = this.node.timers.setTimer(softMs, () => this.onSlow(candidate, softMs));
    sendRpc(this.node, candidate.peer, request, this.id, (result) => {
      soft.cancel();
      if (this.finished) return;
      this.onAnswer(candidate, result);
      this.advance();
    });
  }

  /**
   * Past the soft timeout (SPEC §4.3) the query frees its slot and the lookup goes on. The
   * soft timeout used is recorded as a `slow` step, so a replay re-decides it exactly; a find
   * that has its value no longer waits for this query (its grace is the soft timeout).
   */
  private onSlow(candidate: Candidate, softMs: number): void {
    if (this.finished || candidate.state !== 'inflight' || softMs >= this.node.config.rpcTimeoutMs)
      return;
    this.planner.slow(candidate);
    this.emit(this.step(candidate, 'slow', softMs, [], 0));
    this.advance();
  }

  private onAnswer(candidate: Candidate, result: RpcResult): void {
    const returned: PeerInfo[] = [];
    let pointerCount = 0;
    if (result.ok) {
      pointerCount = this.absorb(candidate, result.response, returned);
      this.planner.answered(candidate, pointerCount > 0);
    } else {
      this.planner.failed(candidate);
    }
    const outcome = result.ok ? 'ok' : result.outcome;
    this.emit(this.step(candidate, outcome, result.latencyMs, returned, pointerCount));
  }

  private step(
    candidate: Candidate,
    outcome: StepOutcome,
    latencyMs: number,
    returned: readonly PeerInfo[],
    pointers: number,
  ): LookupStepped {
    return {
      type: 'step',
      lookupId: this.id,
      at: this.node.timers.now(),
      target: this.targetHex,
      peer: candidate.peer.identity.idHex,
      addr: candidate.peer.addr,
      hop: candidate.hop,
      outcome,
      latencyMs,
      returned: returned.map((p) => p.identity.idHex),
      returnedAddrs: returned.map((p) => p.addr),
      pointers,
    };
  }

  /** Records a step, then tells the follower the same value (with the time recorded). */
  private emit(step: LookupStep): void {
    const stored = this.record(step);
    const follow = this.request.onStep;
    if (follow === undefined) return;
    follow(stored === null || stored.at === step.at ? step : { ...step, at: stored.at });
  }

  private record(step: LookupStep): StoredEvent | null {
    const event = stepDraft(step);
    return this.node.record(event.type, event.data, event.refs);
  }

  /** Takes the nodes and pointers of an answer; returns how many valid pointers it held. */
  private absorb(from: Candidate, response: Response, returned: PeerInfo[]): number {
    if (response.op !== 'nodes' && response.op !== 'value') return 0;
    for (const wire of response.nodes) {
      const peer = peerFromWire(wire, this.node.identities, this.node.config.difficulty);
      if (typeof peer === 'string') continue;
      returned.push(peer);
      this.consider(peer, from.hop + 1);
    }
    if (response.op !== 'value') return 0;
    let valid = 0;
    const now = this.node.timers.now();
    for (const pointer of response.pointers) {
      if (toHex(pointer.key) !== this.targetHex || checkPointer(pointer, now) !== null) continue;
      valid++;
      const publisher = toHex(pointer.publisher);
      const known = this.pointers.get(publisher);
      if (known === undefined || known.seq < pointer.seq) this.pointers.set(publisher, pointer);
    }
    return valid;
  }

  private finish(reason: LookupEnd): void {
    if (this.finished) return;
    this.finished = true;
    this.deadline?.cancel();
    const closest = this.planner.result();
    const pointers = [...this.pointers.values()].sort((a, b) => b.seq - a.seq);
    const result: LookupResult = {
      id: this.id,
      closest: closest.map((c) => c.peer),
      pointers,
      hops: closest[0]?.hop ?? 0,
      rpcs: this.rpcs,
      durationMs: this.node.timers.now() - this.startedAtMs,
      reason,
    };
    this.emit({
      type: 'finished',
      lookupId: this.id,
      at: this.node.timers.now(),
      target: this.targetHex,
      result: result.closest.map((p) => p.identity.idHex),
      pointers: pointers.length,
      hops: result.hops,
      rpcs: result.rpcs,
      durationMs: result.durationMs,
      reason,
    });
    this.onDone(result);
  }
}

export function lookup(
  node: NodeDriver,
  request: LookupRequest,
  onDone: (result: LookupResult) => void,
): IterativeLookup {
  return new IterativeLookup(node, request, onDone).start();
}
