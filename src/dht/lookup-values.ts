import type { PeerInfo } from '../core/node-info.js';
import type { NodeId } from '../core/node-id.js';
import type { Pointer } from '../core/pointer.js';
import type { LookupKind } from '../events/event-types.js';
import type { Request, Response } from '../net/messages.js';
import type { LookupEnd } from './lookup-planner.js';
import type { LookupStep } from './lookup-steps.js';

/**
 * What a lookup takes and returns as values (lookup-machine.ts decides; the driver's runner,
 * iterative-lookup.ts, acts): the goal, the inputs, the effects in order, and the result.
 */

/** What to look up (the driver's `LookupRequest` adds who follows it). */
export interface LookupGoal {
  readonly target: NodeId;
  readonly kind: LookupKind;
  /** find --all: a value lookup that runs to the end instead of stopping at the first pointers. */
  readonly all?: boolean;
  /** Peers to start from besides the routing table (bootstrap seeds). */
  readonly seeds?: readonly PeerInfo[];
}

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

/** A lookup's timers: its deadline, and each query's soft timeout (by the query's tag). */
export type LookupTimer = 'deadline' | number;

export type LookupInput =
  /** The started step was recorded as `lookupId` (0 while the journal is paused). */
  | { readonly type: 'started'; readonly lookupId: number }
  | {
      readonly type: 'answered';
      readonly tag: number;
      readonly response: Response;
      readonly latencyMs: number;
    }
  | {
      readonly type: 'failed';
      readonly tag: number;
      readonly outcome: 'timeout' | 'error';
      readonly latencyMs: number;
    }
  | { readonly type: 'timer'; readonly timer: LookupTimer };

/**
 * What the driver does, in this order: the exact interleaving of timers and sends is part of
 * the decision, since a seeded simulation orders timers due at the same time by when they
 * were armed.
 */
export type LookupEffect =
  | { readonly type: 'arm'; readonly timer: LookupTimer; readonly afterMs: number }
  | { readonly type: 'cancel'; readonly timer: LookupTimer }
  | {
      readonly type: 'send';
      readonly tag: number;
      readonly peer: PeerInfo;
      readonly request: Request;
    };

/** Record `steps` (then tell the follower), apply `effects` in order, then report `done`. */
export interface LookupOutput {
  readonly steps: readonly LookupStep[];
  readonly effects: readonly LookupEffect[];
  readonly done: LookupResult | null;
}

/** The inputs of a step that are not in the lookup's state. */
export interface LookupContext {
  readonly nowMs: number;
  /** The soft timeout of the queries sent now (SPEC §4.3: from our observed round trips). */
  readonly softTimeoutMs: number;
}
