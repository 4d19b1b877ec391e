import { TesdError } from '../core/errors.js';
import { shortId } from '../core/node-id.js';
import type { EventOf, StoredEvent } from '../events/event-types.js';
import type { SqliteEventStore } from '../events/sqlite-event-store.js';
import { estimateOffset, type ClockOffset, type RpcPair } from './trace-clock.js';

/**
 * `tesd trace`: one lookup of node A followed through the logs of the nodes it contacted. Each
 * RPC A sent (rpc_sent: op, rid, peer) is matched to the rpc_received on the remote with the
 * same rid from A's ID; what the remote decided in the same turn (the events it recorded right
 * after the receipt: a peer added or seen, a pointer stored or refused) comes with it. Remote
 * times are put on A's clock by the offsets the RPC pairs bound (trace-clock.ts).
 */

/** Events a node records while handling a request, right after its rpc_received. */
const DECISION_TYPES = new Set([
  'peer_added',
  'peer_seen',
  'peer_cached',
  'peer_evicted',
  'pointer_stored',
  'pointer_replaced',
  'pointer_refused',
  'pointer_evicted',
]);
/** A handler records a few events at most; more after a receipt are not its own. */
const MAX_DECISIONS = 6;
/** A remote receipt further than this from the send (raw clocks) is another RPC's rid. */
const MATCH_WINDOW_MS = 10 * 60_000;

export interface TraceLog {
  readonly dataDir: string;
  readonly store: SqliteEventStore;
}

export interface TraceNode {
  /** A for the lookup's node, then B, C, ... in the order of --with. */
  readonly label: string;
  readonly dataDir: string;
  readonly id: string;
  /** Null for A, and for a node that received none of the lookup's RPCs. */
  readonly clock: ClockOffset | null;
  readonly received: number;
}

export interface TraceEntry {
  readonly label: string;
  /** On A's clock, ms since the lookup started. */
  readonly elapsedMs: number;
  /** The event's own time, on its node's clock. */
  readonly atMs: number;
  readonly seq: number;
  readonly type: string;
  readonly text: string;
  /** The RPC the entry belongs to, and the remote it went to. */
  readonly rid: number | null;
  readonly remote: string | null;
}

export interface Trace {
  readonly lookupId: number;
  readonly kind: string;
  readonly target: string;
  readonly startedAtMs: number;
  readonly nodes: TraceNode[];
  /** Peers A sent RPCs to whose logs were not given. */
  readonly unseen: Array<{ id: string; addr: string; rpcs: number }>;
  readonly entries: TraceEntry[];
}

interface Sent {
  readonly event: EventOf<'rpc_sent'>;
  readonly completed: EventOf<'rpc_completed'> | null;
}

/** Causal order of entries at the same aligned time. */
const RANK: Record<string, number> = {
  lookup_started: 0,
  rpc_sent: 1,
  rpc_received: 2,
  decided: 3,
  rpc_completed: 4,
  lookup_step: 4,
  lookup_finished: 5,
};

export function buildTrace(origin: TraceLog, others: readonly TraceLog[], lookupId: number): Trace {
  const started = [...origin.store.read({ afterSeq: lookupId - 1, untilSeq: lookupId })][0];
  if (started?.type !== 'lookup_started')
    throw new TesdError(
      'no_lookup',
      `no lookup ${lookupId} in ${origin.dataDir}: a lookup's id is the seq of its lookup_started event (see tesd lookups)`,
    );
  const originId = nodeIdAt(origin, lookupId);
  const events = [...origin.store.read({ lookup: lookupId })];
  const sends = pairSends(events);
  const t0 = started.at;
  const entries: TraceEntry[] = [entryOf('A', started, t0, 0)];
  for (const event of events) {
    const entry = originEntry(event, t0);
    if (entry !== null) entries.push(entry);
  }
  const nodes: TraceNode[] = [
    { label: 'A', dataDir: origin.dataDir, id: originId, clock: null, received: 0 },
  ];
  const reached = new Set<string>();
  others.forEach((log, i) => {
    const label = String.fromCharCode(66 + (i % 25)) + (i >= 25 ? String(Math.floor(i / 25)) : '');
    const ids = nodeIds(log);
    const toIt = sends.filter((s) => s.event.peer !== null && ids.has(s.event.peer));
    const matched = matchReceipts(log, originId, toIt);
    const clock = estimateOffset(
      matched.map(
        ({ sent, received }) =>
          ({
            sentAtMs: sent.event.at,
            receivedAtMs: received.at,
            answeredAtMs: sent.completed?.data.outcome === 'ok' ? sent.completed.at : null,
          }) satisfies RpcPair,
      ),
    );
    for (const s of toIt) reached.add(s.event.peer!);
    const offsetMs = clock?.offsetMs ?? 0;
    for (const { sent, received } of matched) {
      const align = (atMs: number): number => atMs - offsetMs - t0;
      entries.push({
        label,
        elapsedMs: align(received.at),
        atMs: received.at,
        seq: received.seq,
        type: 'rpc_received',
        text: `received ${received.data.op} rid ${received.data.rid} from A (${received.data.bytes} bytes)`,
        rid: received.data.rid,
        remote: sent.event.peer,
      });
      for (const decision of decisionsAfter(log, received))
        entries.push({
          label,
          elapsedMs: align(decision.at),
          atMs: decision.at,
          seq: decision.seq,
          type: 'decided',
          text: `decided: ${decisionText(decision, originId)}`,
          rid: received.data.rid,
          remote: sent.event.peer,
        });
    }
    nodes.push({
      label,
      dataDir: log.dataDir,
      id: [...ids].at(-1) ?? '',
      clock,
      received: matched.length,
    });
  });
  entries.sort((a, b) => a.elapsedMs - b.elapsedMs || (RANK[a.type] ?? 9) - (RANK[b.type] ?? 9));
  return {
    lookupId,
    kind: started.data.kind,
    target: started.data.target,
    startedAtMs: t0,
    nodes,
    unseen: unseenPeers(sends, reached),
    entries,
  };
}

function pairSends(events: StoredEvent[]): Sent[] {
  const completedByRid = new Map<number, EventOf<'rpc_completed'>>();
  for (const e of events) if (e.type === 'rpc_completed') completedByRid.set(e.data.rid, e);
  return events
    .filter((e): e is EventOf<'rpc_sent'> => e.type === 'rpc_sent')
    .map((event) => ({ event, completed: completedByRid.get(event.data.rid) ?? null }));
}

/** The ID the node ran with at `seq` (the last node_started before it). */
function nodeIdAt(log: TraceLog, seq: number): string {
  const startedEvents = [...log.store.read({ type: 'node_started', untilSeq: seq })];
  const last = startedEvents.at(-1);
  if (last?.type !== 'node_started')
    throw new TesdError('bad_log', `${log.dataDir}: no node_started before seq ${seq}`);
  return last.data.id;
}

/** Every ID the node ran with (an identity rotation changes it). */
function nodeIds(log: TraceLog): Set<string> {
  const ids = new Set<string>();
  for (const e of log.store.read({ type: 'node_started' }))
    if (e.type === 'node_started') ids.add(e.data.id);
  if (ids.size === 0) throw new TesdError('bad_log', `${log.dataDir}: no node_started in its log`);
  return ids;
}

function matchReceipts(
  log: TraceLog,
  originId: string,
  sends: Sent[],
): Array<{ sent: Sent; received: EventOf<'rpc_received'> }> {
  if (sends.length === 0) return [];
  const rids = new Map<number, Sent>(sends.map((s) => [s.event.data.rid, s]));
  const best = new Map<number, EventOf<'rpc_received'>>();
  for (const e of log.store.read({ type: 'rpc_received', peer: originId })) {
    if (e.type !== 'rpc_received') continue;
    const sent = rids.get(e.data.rid);
    if (sent === undefined || sent.event.data.op !== e.data.op) continue;
    const gap = Math.abs(e.at - sent.event.at);
    if (gap > MATCH_WINDOW_MS) continue;
    const previous = best.get(e.data.rid);
    if (previous === undefined || gap < Math.abs(previous.at - sent.event.at))
      best.set(e.data.rid, e);
  }
  return sends.flatMap((sent) => {
    const received = best.get(sent.event.data.rid);
    return received === undefined ? [] : [{ sent, received }];
  });
}

function decisionsAfter(log: TraceLog, received: StoredEvent): StoredEvent[] {
  const out: StoredEvent[] = [];
  for (const e of log.store.read({ afterSeq: received.seq, limit: MAX_DECISIONS })) {
    if (!DECISION_TYPES.has(e.type)) break;
    out.push(e);
  }
  return out;
}

function who(id: string, originId: string): string {
  return id === originId ? `A (${shortId(id)})` : shortId(id);
}

function decisionText(e: StoredEvent, originId: string): string {
  switch (e.type) {
    case 'peer_added':
      return `peer_added ${who(e.data.id, originId)} ${e.data.addr} to bucket ${e.data.bucket}`;
    case 'peer_seen':
      return `peer_seen ${who(e.data.id, originId)} (moved to its bucket's tail)`;
    case 'peer_cached':
      return `peer_cached ${who(e.data.id, originId)} in bucket ${e.data.bucket}'s replacement cache`;
    case 'peer_evicted':
      return `peer_evicted ${who(e.data.id, originId)}: ${e.data.reason}`;
    case 'pointer_stored':
    case 'pointer_replaced':
      return `${e.type} ${shortId(e.data.key)} seq ${e.data.seq} from ${e.data.from}`;
    case 'pointer_refused':
      return `pointer_refused ${shortId(e.data.key)}: ${e.data.reason}`;
    case 'pointer_evicted':
      return `pointer_evicted ${shortId(e.data.key)} (made room)`;
    default:
      return e.type;
  }
}

function entryOf(label: string, e: StoredEvent, t0: number, offsetMs: number): TraceEntry {
  return {
    label,
    elapsedMs: e.at - offsetMs - t0,
    atMs: e.at,
    seq: e.seq,
    type: e.type,
    text:
      e.type === 'lookup_started'
        ? `started a ${e.data.kind} lookup for ${shortId(e.data.target)} from ${e.data.seeds.length} seeds`
        : e.type,
    rid: null,
    remote: null,
  };
}

function originEntry(e: StoredEvent, t0: number): TraceEntry | null {
  const base = { label: 'A', elapsedMs: e.at - t0, atMs: e.at, seq: e.seq, type: e.type };
  switch (e.type) {
    case 'rpc_sent':
      return {
        ...base,
        text: `sent ${e.data.op} rid ${e.data.rid} to ${shortId(e.peer ?? '?')} ${e.data.addr}`,
        rid: e.data.rid,
        remote: e.peer,
      };
    case 'rpc_completed':
      // Queries are told by their lookup_step; other RPCs (a publish's stores) end here.
      if (e.data.op === 'find_node' || e.data.op === 'find_value') return null;
      return {
        ...base,
        text: `${e.data.op} rid ${e.data.rid} to ${shortId(e.peer ?? '?')}: ${e.data.outcome} in ${e.data.latency_ms} ms`,
        rid: e.data.rid,
        remote: e.peer,
      };
    case 'lookup_step': {
      const d = e.data;
      const answer =
        d.outcome === 'ok'
          ? `answered in ${d.latency_ms} ms: ${d.returned.length} peers, ${d.pointers} pointers`
          : `${d.outcome.toUpperCase()} after ${d.latency_ms} ms`;
      return {
        ...base,
        text: `${shortId(d.peer)} (hop ${d.hop}) ${answer}`,
        rid: null,
        remote: d.peer,
      };
    }
    case 'lookup_finished': {
      const d = e.data;
      return {
        ...base,
        text: `finished (${d.reason}): ${d.result.length} results, ${d.pointers} pointers, ${d.hops} hops, ${d.rpcs} RPCs in ${d.duration_ms} ms`,
        rid: null,
        remote: null,
      };
    }
    default:
      return null;
  }
}

function unseenPeers(sends: Sent[], reached: Set<string>): Trace['unseen'] {
  const byPeer = new Map<string, { id: string; addr: string; rpcs: number }>();
  for (const { event } of sends) {
    if (event.peer === null || reached.has(event.peer)) continue;
    const entry = byPeer.get(event.peer) ?? { id: event.peer, addr: event.data.addr, rpcs: 0 };
    entry.rpcs++;
    byPeer.set(event.peer, entry);
  }
  return [...byPeer.values()];
}
