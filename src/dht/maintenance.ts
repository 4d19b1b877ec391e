import { allPointers } from '../projections/pointer-store.js';
import { refreshBuckets } from './bootstrap.js';
import type { NodeDriver } from './node-context.js';
import { republish } from './publish.js';

/** SPEC §4.3 maintenance: bucket refresh and republishing every minute, expiry every 5. */
export function startMaintenance(node: NodeDriver): void {
  node.every(node.config.refreshCheckIntervalMs, () => {
    refreshIdleBuckets(node);
    republishDue(node);
  });
  node.every(node.config.expirySweepIntervalMs, () => sweepExpired(node));
}

/** Buckets with peers and no activity for an hour get a lookup of a random ID inside them. */
export function refreshIdleBuckets(node: NodeDriver): void {
  const now = node.timers.now();
  const idle: number[] = [];
  node.state.routing.buckets.forEach((bucket, index) => {
    if (
      bucket !== undefined &&
      bucket.entries.length > 0 &&
      now - bucket.lastActivityAtMs >= node.config.bucketIdleMs
    )
      idle.push(index);
  });
  if (idle.length > 0) refreshBuckets(node, idle, () => undefined);
}

/** Our pointers are republished once 12 h of their 24 h have passed, restarts included. */
export function republishDue(node: NodeDriver): void {
  const nowS = node.timers.now() / 1000;
  const earlyS = node.config.pointerLifetimeS - node.config.republishIntervalMs / 1000;
  for (const data of [...node.state.pointers.published.values()]) {
    if (nowS >= data.expires - earlyS) republish(node, data, () => undefined);
  }
}

/**
 * Expires pointers whose time has passed, with events. Skipped while the clock is behind the
 * log (SPEC §5): a board that boots without a clock must not expire everything, or nothing.
 */
export function sweepExpired(node: NodeDriver): number {
  const now = node.timers.now();
  if (now < node.clockTrustedFromMs) return 0;
  let expired = 0;
  for (const entry of allPointers(node.state.pointers)) {
    if (entry.pointer.expires * 1000 > now) continue;
    const { key, publisher } = entry.data;
    if (node.record('pointer_expired', { key, publisher }, { key }) !== null) expired++;
  }
  return expired;
}
