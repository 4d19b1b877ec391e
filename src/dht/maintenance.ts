import type { PointerData } from '../events/event-types.js';
import { allPointers } from '../projections/pointer-store.js';
import { refreshBuckets } from './bootstrap.js';
import type { DhtConfig } from './config.js';
import { draft, type EngineView, type EventDraft, type NodeDriver } from './node-context.js';
import { republish } from './publish.js';

/**
 * SPEC §4.3 maintenance: bucket refresh and republishing every minute, expiry every 5. The
 * timers are values (`maintenanceTimers`) and what each decides when it fires is a pure
 * function of the state and the time (`maintenanceStep`); the driver runs the timers, records
 * the events and starts the lookups and stores it asks for.
 */

export type MaintenanceTimer = 'refresh' | 'expiry';

/** The periodic timers maintenance needs, in the order they are armed. */
export function maintenanceTimers(
  config: DhtConfig,
): ReadonlyArray<{ readonly timer: MaintenanceTimer; readonly everyMs: number }> {
  return [
    { timer: 'refresh', everyMs: config.refreshCheckIntervalMs },
    { timer: 'expiry', everyMs: config.expirySweepIntervalMs },
  ];
}

export interface MaintenanceContext {
  readonly nowMs: number;
  /** Nothing expires before this: the clock must first pass the log's last event (SPEC §5). */
  readonly clockTrustedFromMs: number;
}

/** What a maintenance timer decides: events to record, buckets to refresh, pointers to republish. */
export interface MaintenanceDecision {
  readonly events: readonly EventDraft[];
  readonly refresh: readonly number[];
  readonly republish: readonly PointerData[];
}

export function maintenanceStep(
  view: EngineView,
  timer: MaintenanceTimer,
  context: MaintenanceContext,
): MaintenanceDecision {
  if (timer === 'expiry')
    return { events: decideExpiry(view, context), refresh: [], republish: [] };
  return {
    events: [],
    refresh: idleBuckets(view, context.nowMs),
    republish: pointersDue(view, context.nowMs),
  };
}

/** Buckets with peers and no activity for an hour get a lookup of a random ID inside them. */
export function idleBuckets(view: EngineView, nowMs: number): number[] {
  const idle: number[] = [];
  view.state.routing.buckets.forEach((bucket, index) => {
    if (
      bucket !== undefined &&
      bucket.size > 0 &&
      nowMs - bucket.lastActivityAtMs >= view.config.bucketIdleMs
    )
      idle.push(index);
  });
  return idle;
}

/** Our pointers are republished once 12 h of their 24 h have passed, restarts included. */
export function pointersDue(view: EngineView, nowMs: number): PointerData[] {
  const nowS = nowMs / 1000;
  const earlyS = view.config.pointerLifetimeS - view.config.republishIntervalMs / 1000;
  return [...view.state.pointers.published.values()].filter(
    (data) => nowS >= data.expires - earlyS,
  );
}

/**
 * Pointers whose time has passed, as `pointer_expired` events. None while the clock is behind
 * the log (SPEC §5): a board that boots without a clock must not expire everything, or nothing.
 */
export function decideExpiry(view: EngineView, context: MaintenanceContext): EventDraft[] {
  const { nowMs } = context;
  if (nowMs < context.clockTrustedFromMs) return [];
  const events: EventDraft[] = [];
  for (const entry of allPointers(view.state.pointers)) {
    if (entry.pointer.expires * 1000 > nowMs) continue;
    const { key, publisher } = entry.data;
    events.push(draft('pointer_expired', { key, publisher }, { key }));
  }
  return events;
}

/** The driver's side: arms the maintenance timers; stop() cancels them. */
export function startMaintenance(node: NodeDriver): void {
  for (const { timer, everyMs } of maintenanceTimers(node.config))
    node.every(everyMs, () => runMaintenance(node, timer));
}

function runMaintenance(node: NodeDriver, timer: MaintenanceTimer): void {
  const decision = maintenanceStep(node, timer, contextOf(node));
  recordEach(node, decision.events);
  if (decision.refresh.length > 0) refreshBuckets(node, decision.refresh, () => undefined);
  for (const data of decision.republish) republish(node, data, () => undefined);
}

/** Expires what is due now (at start, for the time the node was down); returns how many. */
export function sweepExpired(node: NodeDriver): number {
  return recordEach(node, decideExpiry(node, contextOf(node)));
}

function contextOf(node: NodeDriver): MaintenanceContext {
  return { nowMs: node.timers.now(), clockTrustedFromMs: node.clockTrustedFromMs };
}

/** Records each event on its own (an expiry the journal refuses is retried next sweep). */
function recordEach(node: NodeDriver, events: readonly EventDraft[]): number {
  let recorded = 0;
  for (const event of events)
    if (node.record(event.type, event.data, event.refs) !== null) recorded++;
  return recorded;
}
