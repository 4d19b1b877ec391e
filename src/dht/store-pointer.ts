import type { Pointer } from '../core/pointer.js';
import type { NodeDriver } from './node-context.js';
import { decideStore, JOURNAL_UNAVAILABLE, type StoreOutcome } from './pointer-decisions.js';

/**
 * The driver's side of a store: refused at once while the journal is paused (SPEC §5,
 * degraded, never inconsistent), else decided, recorded, and answered as recorded.
 */
export function storePointer(
  node: NodeDriver,
  pointer: Pointer,
  fromAddr: string,
  peerHex: string | null,
): StoreOutcome {
  if (!node.canRecord()) return JOURNAL_UNAVAILABLE;
  const { outcome, events } = decideStore(node, pointer, fromAddr, peerHex, node.timers.now());
  return node.apply({ events, pings: [] }) ? outcome : JOURNAL_UNAVAILABLE;
}
