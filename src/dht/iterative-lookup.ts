import { toHex } from '../core/bytes.js';
import type { TimerHandle } from '../core/clock.js';
import { servesDht, type PeerInfo } from '../core/node-info.js';
import type { NodeId } from '../core/node-id.js';
import { checkPointer, type Pointer } from '../core/pointer.js';
import type { LookupKind } from '../events/event-types.js';
import type { Response } from '../net/messages.js';
import { closestEntries } from '../projections/routing-table.js';
import type { DhtNode } from './dht-node.js';
import { groupOf } from './diversity.js';
import { sendRpc, type RpcResult } from './rpc-client.js';
import { Shortlist, type Candidate } from './shortlist.js';
import { peerFromWire } from './wire-peers.js';

export type LookupEnd = 'converged' | 'deadline' | 'found' | 'exhausted';

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
  private readonly shortlist: Shortlist;
  private readonly pointers = new Map<string, Pointer>();
  private readonly targetHex: string;
  private readonly startedAtMs: number;
  private id = 0;
  private inflight = 0;
  private rpcs = 0;
  private foundPointers = false;
  private finished = false;
  private deadline: TimerHandle | null = null;

  constructor(
    private readonly node: DhtNode,
    private readonly request: LookupRequest,
    private readonly onDone: (result: LookupResult) => void,
  ) {
    const { config } = node;
    this.shortlist = new Shortlist(request.target, config.k, config.maxPeersPerGroupPerBucket);
    this.targetHex = toHex(request.target);
    this.startedAtMs = node.timers.now();
  }

  start(): this {
    const started = this.node.record(
      'lookup_started',
      { target: this.targetHex, kind: this.request.kind },
      { key: this.targetHex },
    );
    this.id = started?.seq ?? 0;
    for (const seed of this.request.seeds ?? []) this.consider(seed, 1);
    for (const entry of closestEntries(
      this.node.state.routing,
      this.request.target,
      this.node.config.k,
    )) {
      this.consider(entry.peer, 1);
    }
    this.deadline = this.node.timers.setTimer(this.node.config.lookupDeadlineMs, () =>
      this.finish('deadline'),
    );
    this.advance();
    return this;
  }

  private consider(peer: PeerInfo, hop: number): void {
    if (peer.identity.idHex === this.node.idHex || !servesDht(peer.caps)) return;
    this.shortlist.add(peer, hop, groupOf(peer.addr, this.node.config));
  }

  private get stopQuerying(): boolean {
    return this.request.kind === 'value' && this.request.all !== true && this.foundPointers;
  }

  /** Sends requests inside the window until alpha are in flight; finishes when nothing is left. */
  private advance(): void {
    if (this.finished) return;
    const window = this.shortlist.window();
    if (!this.stopQuerying) {
      for (const candidate of window) {
        if (this.inflight >= this.node.config.alpha) break;
        if (candidate.state === 'new') this.query(candidate);
      }
    }
    if (this.inflight > 0) return;
    if (this.stopQuerying) this.finish('found');
    else if (window.length === 0) this.finish('exhausted');
    else if (window.every((c) => c.state === 'answered')) this.finish('converged');
  }

  private query(candidate: Candidate): void {
    candidate.state = 'inflight';
    this.inflight++;
    this.rpcs++;
    const request =
      this.request.kind === 'value'
        ? ({ op: 'find_value', key: this.request.target } as const)
        : ({ op: 'find_node', target: this.request.target } as const);
    sendRpc(this.node, candidate.peer, request, this.id, (result) => {
      this.inflight--;
      if (this.finished) return;
      this.onAnswer(candidate, result);
      this.advance();
    });
  }

  private onAnswer(candidate: Candidate, result: RpcResult): void {
    const returned: string[] = [];
    let pointerCount = 0;
    if (result.ok) {
      candidate.state = 'answered';
      pointerCount = this.absorb(candidate, result.response, returned);
    } else {
      candidate.state = 'failed';
    }
    this.node.record(
      'lookup_step',
      {
        peer: candidate.peer.identity.idHex,
        addr: candidate.peer.addr,
        hop: candidate.hop,
        outcome: result.ok ? 'ok' : result.outcome,
        latency_ms: result.latencyMs,
        returned,
        pointers: pointerCount,
      },
      { peer: candidate.peer.identity.idHex, key: this.targetHex, lookup: this.id },
    );
  }

  /** Takes the nodes and pointers of an answer; returns how many valid pointers it held. */
  private absorb(from: Candidate, response: Response, returned: string[]): number {
    if (response.op !== 'nodes' && response.op !== 'value') return 0;
    for (const wire of response.nodes) {
      const peer = peerFromWire(wire, this.node.identities, this.node.config.difficulty);
      if (typeof peer === 'string') continue;
      returned.push(peer.identity.idHex);
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
    if (valid > 0) this.foundPointers = true;
    return valid;
  }

  private finish(reason: LookupEnd): void {
    if (this.finished) return;
    this.finished = true;
    this.deadline?.cancel();
    const closest = this.shortlist.answered();
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
  node: DhtNode,
  request: LookupRequest,
  onDone: (result: LookupResult) => void,
): IterativeLookup {
  return new IterativeLookup(node, request, onDone).start();
}
