import type { NodeId } from '../core/node-id.js';
import type { EventType, StoredEvent } from '../events/event-types.js';
import { sharedInterner, type IdentityInterner } from './peer-identity.js';
import { emptySession, evolveSession, type SessionState } from './session.js';
import {
  emptyPointers,
  evolvePointers,
  POINTER_EVENT_TYPES,
  pointersFromJson,
  pointersToJson,
  type PointersJson,
  type PointerState,
} from './pointer-store.js';
import {
  emptyRouting,
  evolveRouting,
  ROUTING_EVENT_TYPES,
  routingFromJson,
  routingToJson,
  type RoutingJson,
  type RoutingState,
} from './routing-table.js';

/** Everything a node rebuilds from its log: the routing table and the pointer store. */
export interface NodeState {
  readonly routing: RoutingState;
  readonly pointers: PointerState;
  /** This run's decision inputs (our own outage); not in snapshots, see session.ts. */
  readonly session: SessionState;
  /** seq and time of the last event folded in. */
  lastSeq: number;
  lastEventAtMs: number;
}

/**
 * The event types the projections fold, from each projection's own declaration (one list per
 * fold, checked exhaustive there); restart reads exactly these after the snapshot.
 */
export const STATE_EVENT_TYPES: readonly EventType[] = [
  ...ROUTING_EVENT_TYPES,
  ...POINTER_EVENT_TYPES,
];

/** Version of the snapshot JSON; bump it (and keep reading the old one) when the shape changes. */
export const SNAPSHOT_VERSION = 1;

export interface NodeStateJson {
  version: typeof SNAPSHOT_VERSION;
  last_seq: number;
  last_event_at_ms: number;
  routing: RoutingJson;
  pointers: PointersJson;
}

export function emptyNodeState(
  selfId: NodeId,
  selfHex: string,
  interner: IdentityInterner = sharedInterner,
): NodeState {
  return {
    routing: emptyRouting(selfId, selfHex, interner),
    pointers: emptyPointers(),
    session: emptySession(),
    lastSeq: 0,
    lastEventAtMs: 0,
  };
}

export function evolveNode(state: NodeState, event: StoredEvent): NodeState {
  evolveRouting(state.routing, event);
  evolvePointers(state.pointers, event);
  evolveSession(state.session, event);
  state.lastSeq = event.seq;
  state.lastEventAtMs = event.at;
  return state;
}

export function nodeStateToJson(state: NodeState): NodeStateJson {
  return {
    version: SNAPSHOT_VERSION,
    last_seq: state.lastSeq,
    last_event_at_ms: state.lastEventAtMs,
    routing: routingToJson(state.routing),
    pointers: pointersToJson(state.pointers),
  };
}

export function nodeStateFromJson(
  json: NodeStateJson,
  selfId: NodeId,
  interner: IdentityInterner = sharedInterner,
): NodeState {
  if (json.version !== SNAPSHOT_VERSION)
    throw new RangeError(`unsupported snapshot version ${String(json.version)}`);
  return {
    routing: routingFromJson(json.routing, selfId, interner),
    pointers: pointersFromJson(json.pointers),
    session: emptySession(),
    lastSeq: json.last_seq,
    lastEventAtMs: json.last_event_at_ms,
  };
}

/** Restart = the latest snapshot + the events after it (SPEC §5). */
export function rebuildNodeState(
  selfId: NodeId,
  selfHex: string,
  snapshot: NodeStateJson | null,
  eventsAfter: Iterable<StoredEvent>,
  interner: IdentityInterner = sharedInterner,
): NodeState {
  let state =
    snapshot === null
      ? emptyNodeState(selfId, selfHex, interner)
      : nodeStateFromJson(snapshot, selfId, interner);
  for (const event of eventsAfter) state = evolveNode(state, event);
  return state;
}
