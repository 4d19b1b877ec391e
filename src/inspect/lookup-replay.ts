import { commonPrefixBits } from '../core/distance.js';
import { Caps, type PeerInfo } from '../core/node-info.js';
import { makeConfig, type DhtConfig } from '../dht/config.js';
import { groupOf } from '../dht/diversity.js';
import { Shortlist, type Candidate } from '../dht/shortlist.js';
import { parseNodeId, type NodeId } from '../core/node-id.js';
import type { StepOutcome } from '../events/event-types.js';
import type { KnownPeer, LookupRecord } from './lookup-record.js';

/**
 * `tesd replay`: a lookup rebuilt step by step from its events. The shortlist shown after
 * each step is the engine's own window (src/dht/shortlist.ts): the k closest candidates not
 * failed, with the per-/24 cap applied to every candidate whose address the log recorded
 * (seeds and returned peers carry theirs since `seed_addrs` / `returned_addrs`).
 */

export type ReplayCandidateState = 'new' | 'inflight' | 'slow' | 'answered' | 'failed';

export interface ReplayCandidate {
  id: string;
  addr: string | null;
  /** Bits shared with the target: higher is closer. */
  cpl: number;
  hop: number;
  state: ReplayCandidateState;
  /** Who returned it first (null for a seed from the table or the bootstrap seeds). */
  learnedFrom: string | null;
}

export interface ReplayReturned {
  id: string;
  cpl: number;
  /** First time this lookup heard of it. */
  isNew: boolean;
}

export interface ReplayStep {
  seq: number;
  /** Since the lookup started. */
  elapsedMs: number;
  /** When the RPC went out, since the lookup started (null if no rpc_sent is recorded). */
  sentElapsedMs: number | null;
  peer: string;
  addr: string;
  hop: number;
  cpl: number;
  outcome: StepOutcome;
  latencyMs: number;
  returned: ReplayReturned[];
  pointers: number;
  /** The k closest candidates not failed, after this step, closest first. */
  shortlist: ReplayCandidate[];
}

export interface Replay {
  id: number;
  target: string;
  kind: string;
  startedAtMs: number;
  k: number;
  seeds: ReplayCandidate[];
  steps: ReplayStep[];
  /** RPCs sent that never produced a step (in flight at the end, or answered too late). */
  unanswered: Array<{ peer: string; cpl: number; sentElapsedMs: number }>;
  /** From the lookup_finished event, null if the lookup never finished. */
  recorded: {
    result: string[];
    pointers: number;
    hops: number;
    rpcs: number;
    durationMs: number;
    reason: string;
  } | null;
  /** What the replay itself computes from the steps: should equal `recorded`. */
  reconstructed: { result: string[]; hops: number; rpcs: number };
  /** Why it ended, in words. */
  explanation: string;
}

/**
 * The lookup's candidates, kept by the engine's own Shortlist (src/dht/shortlist.ts), so the
 * window shown is the window the lookup had: the k closest not failed, at most two of one
 * /24 (/64). A candidate whose address the log does not hold counts in no group.
 */
class ReplayShortlist {
  readonly byId = new Map<string, ReplayCandidate>();
  private readonly engine: Shortlist;
  private readonly candidates = new Map<string, Candidate>();
  private readonly config: DhtConfig;

  constructor(
    target: NodeId,
    k: number,
    private readonly selfHex: string,
    strictIpDiversity: boolean,
  ) {
    this.config = makeConfig({ strictIpDiversity });
    this.engine = new Shortlist(target, k, this.config.maxPeersPerGroupPerBucket);
    this.target = target;
  }

  private readonly target: NodeId;

  add(peer: KnownPeer, hop: number, learnedFrom: string | null): boolean {
    if (this.byId.has(peer.id) || peer.id === this.selfHex) return false;
    const nodeId = parseNodeId(peer.id);
    if (nodeId === null) return false;
    const info: PeerInfo = {
      identity: { id: nodeId, idHex: peer.id, pk: new Uint8Array(32), nonce: 0 },
      addr: peer.addr ?? '',
      caps: Caps.DHT,
    };
    const group = peer.addr === null ? null : groupOf(peer.addr, this.config);
    this.engine.add(info, hop, group);
    this.candidates.set(peer.id, this.engine.get(peer.id)!);
    this.byId.set(peer.id, {
      id: peer.id,
      addr: peer.addr,
      cpl: commonPrefixBits(this.target, nodeId),
      hop,
      state: 'new',
      learnedFrom,
    });
    return true;
  }

  /** Moves a candidate to `state`, in the engine's shortlist as well. */
  set(id: string, state: ReplayCandidateState): void {
    const candidate = this.byId.get(id);
    const engine = this.candidates.get(id);
    if (candidate === undefined || engine === undefined) return;
    candidate.state = state;
    engine.state = state;
  }

  /** The engine's window, closest first (copies, so steps keep their own picture). */
  window(): ReplayCandidate[] {
    return this.engine.window().map((c) => ({ ...this.byId.get(c.peer.identity.idHex)! }));
  }
}

/** Seeds: the table's k closest at the start, plus hop-1 peers the table did not hold. */
export function replaySeeds(record: LookupRecord): KnownPeer[] {
  const seeds = new Map<string, KnownPeer>(record.tableSeeds.map((p) => [p.id, p]));
  const learned = new Set(record.steps.flatMap((s) => s.data.returned));
  for (const step of record.steps)
    if (step.data.hop === 1 && !seeds.has(step.data.peer))
      seeds.set(step.data.peer, { id: step.data.peer, addr: step.data.addr });
  for (const rpc of record.sent)
    if (!seeds.has(rpc.peer) && !learned.has(rpc.peer))
      seeds.set(rpc.peer, { id: rpc.peer, addr: rpc.addr });
  return [...seeds.values()];
}

const EXPLANATIONS: Record<string, string> = {
  converged: 'converged: the k closest peers it had seen had all answered',
  exhausted: 'exhausted: no candidate left to query (none known, or all failed)',
  deadline: 'deadline: the lookup deadline passed before the k closest had all answered',
  found: 'found: a peer answered with pointers, and the RPCs already in flight returned',
};

export function replayLookup(record: LookupRecord, k = 20, strictIpDiversity = false): Replay {
  const shortlist = new ReplayShortlist(record.targetId, k, record.selfHex, strictIpDiversity);
  for (const seed of replaySeeds(record)) shortlist.add(seed, 1, null);
  const seeds = shortlist.window();
  const sentAt = new Map<string, number>();
  const steps: ReplayStep[] = [];
  let sentIndex = 0;
  const sendUpTo = (seq: number): void => {
    for (; sentIndex < record.sent.length && record.sent[sentIndex]!.seq < seq; sentIndex++) {
      const rpc = record.sent[sentIndex]!;
      sentAt.set(rpc.peer, rpc.atMs - record.startedAtMs);
      shortlist.add({ id: rpc.peer, addr: rpc.addr }, 1, null);
      if (shortlist.byId.get(rpc.peer)?.state === 'new') shortlist.set(rpc.peer, 'inflight');
    }
  };
  for (const step of record.steps) {
    sendUpTo(step.seq);
    const d = step.data;
    const candidate = shortlist.byId.get(d.peer);
    shortlist.set(
      d.peer,
      d.outcome === 'ok' ? 'answered' : d.outcome === 'slow' ? 'slow' : 'failed',
    );
    const returned = d.returned.map((id, i) => {
      const addr = d.returned_addrs?.[i] ?? null;
      const isNew = shortlist.add({ id, addr }, d.hop + 1, d.peer);
      return { id, cpl: shortlist.byId.get(id)?.cpl ?? 0, isNew };
    });
    steps.push({
      seq: step.seq,
      elapsedMs: step.atMs - record.startedAtMs,
      sentElapsedMs: sentAt.get(d.peer) ?? null,
      peer: d.peer,
      addr: d.addr,
      hop: d.hop,
      cpl: candidate?.cpl ?? commonPrefixBits(record.targetId, parseNodeId(d.peer)!),
      outcome: d.outcome,
      latencyMs: d.latency_ms,
      returned,
      pointers: d.pointers,
      shortlist: shortlist.window(),
    });
  }
  sendUpTo(record.finished?.seq ?? Infinity);
  // A query past its soft timeout that never answered afterwards is still unanswered.
  const stepped = new Set(
    record.steps.filter((s) => s.data.outcome !== 'slow').map((s) => s.data.peer),
  );
  const unanswered = record.sent
    .filter((rpc) => !stepped.has(rpc.peer))
    .map((rpc) => ({
      peer: rpc.peer,
      cpl: shortlist.byId.get(rpc.peer)?.cpl ?? 0,
      sentElapsedMs: rpc.atMs - record.startedAtMs,
    }));
  const answered = shortlist.window().filter((c) => c.state === 'answered');
  const f = record.finished?.data;
  const recorded =
    f === undefined
      ? null
      : {
          result: f.result,
          pointers: f.pointers,
          hops: f.hops,
          rpcs: f.rpcs,
          durationMs: f.duration_ms,
          reason: f.reason,
        };
  return {
    id: record.id,
    target: record.target,
    kind: record.kind,
    startedAtMs: record.startedAtMs,
    k,
    seeds,
    steps,
    unanswered,
    recorded,
    reconstructed: {
      result: answered.map((c) => c.id),
      hops: answered[0]?.hop ?? 0,
      rpcs: record.sent.length,
    },
    explanation:
      f === undefined
        ? 'unfinished: no lookup_finished event (the node stopped, or the lookup is still running)'
        : (EXPLANATIONS[f.reason] ?? f.reason),
  };
}
