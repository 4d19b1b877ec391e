import type { LookupKind, StepOutcome, StoredEvent } from '../events/event-types.js';
import type { LookupEnd } from './lookup-planner.js';
import { draft, type EventDraft } from './node-context.js';

/**
 * A lookup's progress as values (issue 10 item 4, as libp2p's kad-dht query events): the
 * engine builds each step once, records it as its event (`stepDraft`) and hands the same
 * value to whoever follows the lookup; `lookupStepOf` reads a recorded event back into the
 * value it was recorded from, so a live lookup and its history show the same steps.
 */

/** A lookup began: its id is the seq of this event (0 while the journal is paused). */
export interface LookupStarted {
  readonly type: 'started';
  readonly lookupId: number;
  readonly at: number;
  readonly target: string;
  readonly kind: LookupKind;
  /** The hop-1 candidates, closest first, and their addresses in the same order. */
  readonly seeds: readonly string[];
  readonly seedAddrs: readonly string[];
}

/** One queried peer answered, failed, timed out, or passed its soft timeout (`slow`). */
export interface LookupStepped {
  readonly type: 'step';
  readonly lookupId: number;
  readonly at: number;
  readonly target: string;
  readonly peer: string;
  readonly addr: string;
  readonly hop: number;
  readonly outcome: StepOutcome;
  readonly latencyMs: number;
  /** IDs of the peers it returned, and their addresses in the same order. */
  readonly returned: readonly string[];
  readonly returnedAddrs: readonly string[];
  /** Valid pointers it returned (value lookups). */
  readonly pointers: number;
}

/** The lookup ended; `result` are the closest IDs found, closest first. */
export interface LookupFinished {
  readonly type: 'finished';
  readonly lookupId: number;
  readonly at: number;
  readonly target: string;
  readonly result: readonly string[];
  readonly pointers: number;
  readonly hops: number;
  readonly rpcs: number;
  readonly durationMs: number;
  readonly reason: LookupEnd;
}

/** What a lookup yields as it runs: started, then its steps, then finished. */
export type LookupStep = LookupStarted | LookupStepped | LookupFinished;

/**
 * The event a step is recorded as (the started step's id is the seq it gets). Its lists are
 * the step's own, not copies: the value followed and the value recorded are one.
 */
export function stepDraft(step: LookupStep): EventDraft {
  switch (step.type) {
    case 'started':
      return draft(
        'lookup_started',
        {
          target: step.target,
          kind: step.kind,
          seeds: step.seeds as string[],
          seed_addrs: step.seedAddrs as string[],
        },
        { key: step.target },
      );
    case 'step':
      return draft(
        'lookup_step',
        {
          peer: step.peer,
          addr: step.addr,
          hop: step.hop,
          outcome: step.outcome,
          latency_ms: step.latencyMs,
          returned: step.returned as string[],
          returned_addrs: step.returnedAddrs as string[],
          pointers: step.pointers,
        },
        { peer: step.peer, key: step.target, lookup: step.lookupId },
      );
    case 'finished':
      return draft(
        'lookup_finished',
        {
          result: step.result as string[],
          pointers: step.pointers,
          hops: step.hops,
          rpcs: step.rpcs,
          duration_ms: step.durationMs,
          reason: step.reason,
        },
        { key: step.target, lookup: step.lookupId },
      );
  }
}

/** The step a recorded event was recorded from, or null for events that are not one. */
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
        seedAddrs: event.data.seed_addrs,
      };
    case 'lookup_step':
      return {
        type: 'step',
        lookupId: event.lookup ?? 0,
        at: event.at,
        target: event.key ?? '',
        peer: event.data.peer,
        addr: event.data.addr,
        hop: event.data.hop,
        outcome: event.data.outcome,
        latencyMs: event.data.latency_ms,
        returned: event.data.returned,
        returnedAddrs: event.data.returned_addrs,
        pointers: event.data.pointers,
      };
    case 'lookup_finished':
      return {
        type: 'finished',
        lookupId: event.lookup ?? 0,
        at: event.at,
        target: event.key ?? '',
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
