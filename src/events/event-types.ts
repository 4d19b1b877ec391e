/**
 * The event log's vocabulary (SPEC §5): facts in the past tense. `data` fields are snake_case,
 * binary as lowercase hex, so `json_extract(data, '$.field')` works in SQL. Some events carry
 * more than the SPEC's minimum where the projections need it to rebuild state (a peer's pk and
 * nonce, a stored pointer's full signed form); docs/events.md lists every field.
 */

export interface PointerData {
  key: string;
  tessera: string;
  holders: Array<{ id: string; addr: string }>;
  fragments: Array<{ idx: number; holder: string }>;
  publisher: string;
  seq: number;
  expires: number;
  sig: string;
}

export type LookupKind = 'node' | 'value' | 'refresh' | 'bootstrap';
export type RpcOutcome = 'ok' | 'timeout' | 'error';
/** A lookup step: an RPC's outcome, or `slow` when it passed the soft timeout (SPEC §4.3). */
export type StepOutcome = RpcOutcome | 'slow';
export type EvictionReason = 'unresponsive' | 'replaced' | 'diversity' | 'identity_rotated';

export interface EventDataMap {
  node_started: {
    id: string;
    pk: string;
    nonce: number;
    addr: string;
    version: string;
    difficulty: number;
  };
  node_stopped: { reason: string };
  peer_added: { id: string; addr: string; caps: number; bucket: number; pk: string; nonce: number };
  peer_seen: { id: string; addr: string };
  peer_cached: {
    id: string;
    addr: string;
    caps: number;
    bucket: number;
    pk: string;
    nonce: number;
  };
  peer_failed: { id: string; addr: string; failures: number; error: string };
  peer_evicted: { id: string; reason: EvictionReason };
  peer_rejected: { addr: string; reason: string; count: number };
  rpc_sent: { op: string; rid: number; addr: string; bytes: number };
  rpc_received: { op: string; rid: number; addr: string; bytes: number };
  rpc_completed: {
    op: string;
    rid: number;
    outcome: RpcOutcome;
    latency_ms: number;
    error_code: number | null;
  };
  pointer_published: PointerData;
  pointer_stored: PointerData & { from: string };
  pointer_replaced: PointerData & { from: string };
  pointer_refused: { key: string; publisher: string; reason: string };
  pointer_expired: { key: string; publisher: string };
  pointer_evicted: { key: string; publisher: string };
  /** `seeds`/`seed_addrs`: the hop-1 candidates, so `tesd replay --check` can re-run it. */
  lookup_started: { target: string; kind: LookupKind; seeds: string[]; seed_addrs: string[] };
  lookup_step: {
    peer: string;
    addr: string;
    hop: number;
    outcome: StepOutcome;
    latency_ms: number;
    returned: string[];
    /** Addresses of `returned`, same order (their /24 matters to the lookup's decisions). */
    returned_addrs: string[];
    pointers: number;
  };
  lookup_finished: {
    result: string[];
    pointers: number;
    hops: number;
    rpcs: number;
    duration_ms: number;
    reason: 'converged' | 'deadline' | 'found' | 'exhausted';
  };
  bootstrap_finished: { peers: number; restored: number; answered: number };
  snapshot_written: { seq: number; hash: string; signature: string };
  journal_paused: { error: string };
  journal_resumed: { error: string };
  /** The node's network size estimate moved by more than a tenth (src/dht/netsize.ts). */
  network_size_estimated: {
    size: number;
    method: 'counted' | 'distances';
    samples: number;
    peers: number;
    previous: number | null;
  };
  /**
   * The address we advertise changed (issue 15 item 3): `observed` is what several distinct
   * hosts (`voters`) reported; `addr` is what we now advertise.
   */
  advertised_address_changed: {
    addr: string;
    previous: string;
    observed: string;
    voters: number;
  };
  /**
   * A reachability check round ended (issue 10 item 2): what it saw and what it made of it, so
   * the log explains each change of status, each silent round counted and each wait for a quiet
   * host (docs/protocol.md, Reachability).
   */
  reachability_checked: {
    /** Peers asked (`dial_back`). */
    asked: number;
    /** Of them, those that said they had a third node dial us. */
    forwarded: number;
    /** Where the probes that proved reachability came from. */
    counted: string[];
    /** Probes that proved nothing (a host we had traffic with, the other family...). */
    inconclusive: number;
    outcome: RoundOutcome;
    /** Silent rounds in a row after this one: two undo a confirmation. */
    silent_rounds: number;
  };
  /** A reachability check changed our status (issue 15 item 2); `caps` is what we now advertise. */
  reachability_changed: {
    status: 'unknown' | 'reachable' | 'unreachable';
    previous: 'unknown' | 'reachable' | 'unreachable';
    addr: string;
    mode: 'auto' | 'server' | 'client';
    caps: number;
    reason: string;
  };
}

/**
 * How a round ended: a probe proved reachability; peers had third nodes dial us and nothing
 * arrived; only probes that proved nothing arrived (the next round waits for a quiet host); too
 * few peers had a third node dial us to judge.
 */
export type RoundOutcome = 'reachable' | 'silent' | 'inconclusive' | 'too_few';

export type EventType = keyof EventDataMap;

export const EVENT_TYPES = [
  'node_started',
  'node_stopped',
  'peer_added',
  'peer_seen',
  'peer_cached',
  'peer_failed',
  'peer_evicted',
  'peer_rejected',
  'rpc_sent',
  'rpc_received',
  'rpc_completed',
  'pointer_published',
  'pointer_stored',
  'pointer_replaced',
  'pointer_refused',
  'pointer_expired',
  'pointer_evicted',
  'lookup_started',
  'lookup_step',
  'lookup_finished',
  'bootstrap_finished',
  'snapshot_written',
  'journal_paused',
  'journal_resumed',
  'network_size_estimated',
  'advertised_address_changed',
  'reachability_checked',
  'reachability_changed',
] as const satisfies readonly EventType[];

/** An event as the engine emits it: the store assigns `seq` and `hash`. */
export type NewEvent = {
  [T in EventType]: {
    type: T;
    /** Unix time, milliseconds. */
    at: number;
    /** Hex node ID the event is about, if any. */
    peer: string | null;
    /** Hex pointer key or lookup target, if any. */
    key: string | null;
    /** The lookup this event belongs to, if any. */
    lookup: number | null;
    data: EventDataMap[T];
  };
}[EventType];

/** A recorded event: one row of the `events` table. */
export type StoredEvent = NewEvent & { seq: number; hash: string };

export type EventOf<T extends EventType> = Extract<StoredEvent, { type: T }>;

export function isEventType(type: string): type is EventType {
  return (EVENT_TYPES as readonly string[]).includes(type);
}
