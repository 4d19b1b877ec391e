import type { EventOf, EventType, StoredEvent } from '../events/event-types.js';
import { unreachable } from './unreachable.js';

/**
 * What the log says about this run of the node (since its last node_started): when it last
 * had a successful exchange with anyone. That decides our own outage (SPEC §2, §5): a failed
 * RPC is a strike only while our last exchange is recent, so a node whose network is down
 * does not empty its table. Folded from recorded events, so a replay sees the same input the
 * strike decision saw.
 *
 * A verified request we served is recorded as rpc_received, an answered RPC of ours as
 * rpc_completed with outcome ok; node_started begins a run with no exchange yet (a restarted
 * node strikes nobody until something answered it). Because node_started resets it, restart
 * need not read these events: the node records node_started before it decides anything.
 */
export interface SessionState {
  /** `at` of the last successful exchange since node_started; -Infinity before the first. */
  lastExchangeAtMs: number;
}

export function emptySession(): SessionState {
  return { lastExchangeAtMs: -Infinity };
}

/** The events the session folds; not read at restart (node_started resets it, see above). */
export const SESSION_EVENT_TYPES = [
  'node_started',
  'rpc_received',
  'rpc_completed',
] as const satisfies readonly EventType[];

type SessionEvent = EventOf<(typeof SESSION_EVENT_TYPES)[number]>;

export function evolveSession(state: SessionState, event: StoredEvent): SessionState {
  switch (event.type) {
    case 'node_started':
    case 'rpc_received':
    case 'rpc_completed':
      return foldSession(state, event);
    default:
      return state;
  }
}

/** Exhaustive over SESSION_EVENT_TYPES: a type listed but not folded fails the type check. */
function foldSession(state: SessionState, event: SessionEvent): SessionState {
  switch (event.type) {
    case 'node_started':
      state.lastExchangeAtMs = -Infinity;
      return state;
    case 'rpc_received':
      state.lastExchangeAtMs = event.at;
      return state;
    case 'rpc_completed':
      if (event.data.outcome === 'ok') state.lastExchangeAtMs = event.at;
      return state;
    default:
      return unreachable(event);
  }
}
