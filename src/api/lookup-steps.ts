import type { LookupKind, StepOutcome, StoredEvent } from '../events/event-types.js';

/** A lookup began: its id is the seq of this event. `seeds` are the hop-1 candidates. */
export interface LookupStarted {
  readonly type: 'started';
  readonly lookupId: number;
  readonly at: number;
  readonly target: string;
  readonly kind: LookupKind;
  readonly seeds: readonly string[];
}

/** One queried peer answered, failed or timed out. */
export interface LookupStepped {
  readonly type: 'step';
  readonly lookupId: number;
  readonly at: number;
  readonly peer: string;
  readonly addr: string;
  readonly hop: number;
  readonly outcome: StepOutcome;
  readonly latencyMs: number;
  /** IDs of the peers it returned. */
  readonly returned: readonly string[];
  /** Valid pointers it returned (value lookups). */
  readonly pointers: number;
}

/** The lookup ended; `result` are the closest IDs found, closest first. */
export interface LookupFinished {
  readonly type: 'finished';
  readonly lookupId: number;
  readonly at: number;
  readonly result: readonly string[];
  readonly pointers: number;
  readonly hops: number;
  readonly rpcs: number;
  readonly durationMs: number;
  readonly reason: 'converged' | 'deadline' | 'found' | 'exhausted';
}

/** What `node.lookup()` yields, live: started, then the steps, then finished. */
export type LookupStep = LookupStarted | LookupStepped | LookupFinished;

/** The lookup step a recorded event stands for, or null for events that are not one. */
export function lookupStepOf(event: StoredEvent): LookupStep | null {
  switch (event.type) {
    case 'lookup_started':
      return {
        type: 'started',
        lookupId: event.seq,
        at: event.at,
        target: event.data.target,
        kind: event.data.kind,
        seeds: event.data.seeds,
      };
    case 'lookup_step':
      return {
        type: 'step',
        lookupId: event.lookup ?? 0,
        at: event.at,
        peer: event.data.peer,
        addr: event.data.addr,
        hop: event.data.hop,
        outcome: event.data.outcome,
        latencyMs: event.data.latency_ms,
        returned: event.data.returned,
        pointers: event.data.pointers,
      };
    case 'lookup_finished':
      return {
        type: 'finished',
        lookupId: event.lookup ?? 0,
        at: event.at,
        result: event.data.result,
        pointers: event.data.pointers,
        hops: event.data.hops,
        rpcs: event.data.rpcs,
        durationMs: event.data.duration_ms,
        reason: event.data.reason,
      };
    default:
      return null;
  }
}
