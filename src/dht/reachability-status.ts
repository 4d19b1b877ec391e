import { Caps } from '../core/node-info.js';
import type { ReachabilityMode } from './config.js';
import type { EventDataMap } from '../events/event-types.js';

/**
 * What a node's reachability status means for what it advertises (issue 15): in `auto` mode
 * the DHT capability only once reachable, so public routing tables never hold a node others
 * cannot reach; and what a new status changes, as a value the driver applies.
 */

export type ReachabilityStatus = 'unknown' | 'reachable' | 'unreachable';

/** The caps to advertise: the configured ones, without DHT unless the mode and status allow it. */
export function capsFor(
  mode: ReachabilityMode,
  status: ReachabilityStatus,
  configuredCaps: number,
): number {
  const withoutDht = configuredCaps & ~Caps.DHT;
  if (mode === 'client') return withoutDht;
  if (mode === 'auto' && status !== 'reachable') return withoutDht;
  return configuredCaps;
}

/** Where the node stands before the change. */
export interface StatusNow {
  readonly mode: ReachabilityMode;
  readonly status: ReachabilityStatus;
  /** The caps advertised now. */
  readonly caps: number;
  readonly configuredCaps: number;
  /** The address advertised now, which the new status is about. */
  readonly addr: string;
}

/** A new status: the event to record, the caps to advertise, and whether we now serve the DHT. */
export interface StatusChange {
  /** The data of the reachability_changed to record. */
  readonly changed: EventDataMap['reachability_changed'];
  readonly caps: number;
  /** Newly serving the DHT: tell the peers (reachability.ts `announceServing`). */
  readonly announce: boolean;
}

/** What setting `status` for `reason` changes; null when the status stays as it is. */
export function decideStatus(
  now: StatusNow,
  status: ReachabilityStatus,
  reason: string,
): StatusChange | null {
  if (now.status === status) return null;
  const caps = capsFor(now.mode, status, now.configuredCaps);
  const changed = { status, previous: now.status, addr: now.addr, mode: now.mode, caps, reason };
  return { changed, caps, announce: caps !== now.caps && (caps & Caps.DHT) !== 0 };
}
