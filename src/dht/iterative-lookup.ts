import { toHex } from '../core/bytes.js';
import type { TimerHandle } from '../core/clock.js';
import { servesDht, type PeerInfo } from '../core/node-info.js';
import type { NodeId } from '../core/node-id.js';
import { checkPointer, type Pointer } from '../core/pointer.js';
import type { LookupKind } from '../events/event-types.js';
import type { Response } from '../net/messages.js';
import { closestEntries } from '../projections/routing-table.js';
import type { NodeDriver } from './node-context.js';
import { groupOf } from './diversity.js';
import { sendRpc, type RpcResult } from './rpc-client.js';
import { LookupPlanner, type LookupEnd } from './lookup-planner.js';
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
    const started = this.node.record(
      'lookup_started',
      {
        target: this.targetHex,
        kind: this.request.kind,
        seeds: considered.map((p) => p.identity.idHex),
        seed_addrs: considered.map((p) => p.addr),
      },
      { key: this.targetHex },
    );
    this.id = started?.seq ?? 0;
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
    this.node.record(
      'lookup_step',
      {
        peer: candidate.peer.identity.idHex,
        addr: candidate.peer.addr,
        hop: candidate.hop,
        outcome: 'slow',
        latency_ms: softMs,
        returned: [],
        returned_addrs: [],
        pointers: 0,
      },
      { peer: candidate.peer.identity.idHex, key: this.targetHex, lookup: this.id },
    );
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
    this.node.record(
      'lookup_step',
      {
        peer: candidate.peer.identity.idHex,
        addr: candidate.peer.addr,
        hop: candidate.hop,
        outcome: result.ok ? 'ok' : result.outcome,
        latency_ms: result.latencyMs,
        returned: returned.map((p) => p.identity.idHex),
        returned_addrs: returned.map((p) => p.addr),
        pointers: pointerCount,
      },
      { peer: candidate.peer.identity.idHex, key: this.targetHex, lookup: this.id },
    );
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
    this.node.record(
      'lookup_finished',
      {
        result: result.closest.map((p) => p.identity.idHex),
        pointers: pointers.length,
        hops: result.hops,
        rpcs: result.rpcs,
        duration_ms: result.durationMs,
        reason,
      },
      { key: this.targetHex, lookup: this.id },
    );
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
