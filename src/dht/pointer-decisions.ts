import { toHex } from '../core/bytes.js';
import { compareDistance } from '../core/distance.js';
import { checkPointer, pointersEqual, type Pointer } from '../core/pointer.js';
import { ErrorCode } from '../net/messages.js';
import { pointerToData } from '../projections/pointer-data.js';
import { allPointers, sourceGroupOf, type StoredPointer } from '../projections/pointer-store.js';
import type { DhtNode } from './dht-node.js';

export type StoreOutcome =
  | { readonly ok: true; readonly change: 'stored' | 'replaced' | 'unchanged' }
  | { readonly ok: false; readonly reason: string; readonly errorCode?: ErrorCode };

/**
 * Decides a `store` (SPEC §4.1, §4.2): validity, one pointer per (key, publisher) by seq,
 * quotas, then room (evicting the key furthest from us). Every refusal is recorded.
 */
export function decideStore(
  node: DhtNode,
  pointer: Pointer,
  fromAddr: string,
  peerHex: string | null,
): StoreOutcome {
  if (!node.canRecord())
    return { ok: false, reason: 'journal unavailable', errorCode: ErrorCode.OVERLOADED };
  const keyHex = toHex(pointer.key);
  const publisherHex = toHex(pointer.publisher);
  const refuse = (reason: string, errorCode?: ErrorCode): StoreOutcome => {
    node.record(
      'pointer_refused',
      { key: keyHex, publisher: publisherHex, reason },
      { key: keyHex, peer: peerHex },
    );
    return errorCode === undefined ? { ok: false, reason } : { ok: false, reason, errorCode };
  };
  const problem = checkPointer(pointer, node.timers.now());
  if (problem !== null) return refuse(problem, ErrorCode.INVALID_POINTER);
  const { pointers } = node.state;
  const existing = pointers.byKey.get(keyHex)?.get(publisherHex);
  if (existing !== undefined) {
    if (existing.pointer.seq > pointer.seq) return refuse('stale_seq');
    if (existing.pointer.seq === pointer.seq) {
      return pointersEqual(existing.pointer, pointer)
        ? { ok: true, change: 'unchanged' }
        : refuse('conflicting_seq');
    }
    return record(node, 'pointer_replaced', pointer, fromAddr, peerHex);
  }
  const quota = quotaExceeded(node, keyHex, publisherHex, fromAddr);
  if (quota !== null) return refuse(quota, ErrorCode.OVERLOADED);
  if (pointers.size >= node.config.maxPointers && !makeRoom(node, pointer.key))
    return refuse('store_full');
  return record(node, 'pointer_stored', pointer, fromAddr, peerHex);
}

function record(
  node: DhtNode,
  type: 'pointer_stored' | 'pointer_replaced',
  pointer: Pointer,
  from: string,
  peerHex: string | null,
): StoreOutcome {
  const data = { ...pointerToData(pointer), from };
  if (node.record(type, data, { key: data.key, peer: peerHex }) === null) {
    return { ok: false, reason: 'journal unavailable', errorCode: ErrorCode.OVERLOADED };
  }
  return { ok: true, change: type === 'pointer_stored' ? 'stored' : 'replaced' };
}

function quotaExceeded(
  node: DhtNode,
  keyHex: string,
  publisherHex: string,
  fromAddr: string,
): string | null {
  const { pointers } = node.state;
  const { config } = node;
  if ((pointers.byKey.get(keyHex)?.size ?? 0) >= config.maxPublishersPerKey)
    return 'quota_publishers_per_key';
  if ((pointers.perPublisher.get(publisherHex) ?? 0) >= config.maxPointersPerPublisher)
    return 'quota_per_publisher';
  const group = sourceGroupOf(fromAddr);
  if ((pointers.perSourceGroup.get(group) ?? 0) >= config.maxPointersPerSourceGroup)
    return 'quota_per_source';
  return null;
}

/** Evicts the entry furthest from us, unless the newcomer's key is further still. */
function makeRoom(node: DhtNode, newKey: Uint8Array): boolean {
  const self = node.identity.id;
  let furthest: StoredPointer | undefined;
  for (const entry of allPointers(node.state.pointers)) {
    if (
      furthest === undefined ||
      compareDistance(self, entry.pointer.key, furthest.pointer.key) > 0
    )
      furthest = entry;
  }
  if (furthest === undefined || compareDistance(self, newKey, furthest.pointer.key) >= 0)
    return false;
  const { key, publisher } = furthest.data;
  return node.record('pointer_evicted', { key, publisher }, { key }) !== null;
}
