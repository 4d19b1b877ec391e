import { toHex } from '../core/bytes.js';
import { compareDistance } from '../core/distance.js';
import { checkPointer, pointersEqual, type Pointer } from '../core/pointer.js';
import { ErrorCode } from '../net/messages.js';
import { pointerToData } from '../projections/pointer-data.js';
import { allPointers, sourceGroupOf, type StoredPointer } from '../projections/pointer-store.js';
import { draft, type EngineView, type EventDraft } from './node-context.js';

export type StoreOutcome =
  | { readonly ok: true; readonly change: 'stored' | 'replaced' | 'unchanged' }
  | { readonly ok: false; readonly reason: string; readonly errorCode?: ErrorCode };

/** A store decision: what to answer, and the events that make it so. */
export interface StoreDecision {
  readonly outcome: StoreOutcome;
  readonly events: readonly EventDraft[];
}

/** What the driver answers when the journal cannot record a store (SPEC §5). */
export const JOURNAL_UNAVAILABLE: StoreOutcome = {
  ok: false,
  reason: 'journal unavailable',
  errorCode: ErrorCode.OVERLOADED,
};

/**
 * Decides a `store` (SPEC §4.1, §4.2): validity, one pointer per (key, publisher) by seq,
 * quotas, then room (evicting the key furthest from us). Every refusal is an event.
 */
export function decideStore(
  view: EngineView,
  pointer: Pointer,
  fromAddr: string,
  peerHex: string | null,
  nowMs: number,
): StoreDecision {
  const keyHex = toHex(pointer.key);
  const publisherHex = toHex(pointer.publisher);
  const refuse = (reason: string, errorCode?: ErrorCode): StoreDecision => ({
    outcome: errorCode === undefined ? { ok: false, reason } : { ok: false, reason, errorCode },
    events: [
      draft(
        'pointer_refused',
        { key: keyHex, publisher: publisherHex, reason },
        { key: keyHex, peer: peerHex },
      ),
    ],
  });
  const problem = checkPointer(pointer, nowMs);
  if (problem !== null) return refuse(problem, ErrorCode.INVALID_POINTER);
  const { pointers } = view.state;
  const existing = pointers.byKey.get(keyHex)?.get(publisherHex);
  if (existing !== undefined) {
    if (existing.pointer.seq > pointer.seq) return refuse('stale_seq');
    if (existing.pointer.seq === pointer.seq) {
      return pointersEqual(existing.pointer, pointer)
        ? { outcome: { ok: true, change: 'unchanged' }, events: [] }
        : refuse('conflicting_seq');
    }
    return accept('pointer_replaced', pointer, fromAddr, peerHex, []);
  }
  const quota = quotaExceeded(view, keyHex, publisherHex, fromAddr);
  if (quota !== null) return refuse(quota, ErrorCode.OVERLOADED);
  if (pointers.size < view.config.maxPointers)
    return accept('pointer_stored', pointer, fromAddr, peerHex, []);
  const eviction = makeRoom(view, pointer.key);
  if (eviction === null) return refuse('store_full');
  return accept('pointer_stored', pointer, fromAddr, peerHex, [eviction]);
}

function accept(
  type: 'pointer_stored' | 'pointer_replaced',
  pointer: Pointer,
  from: string,
  peerHex: string | null,
  before: EventDraft[],
): StoreDecision {
  const data = { ...pointerToData(pointer), from };
  return {
    outcome: { ok: true, change: type === 'pointer_stored' ? 'stored' : 'replaced' },
    events: [...before, draft(type, data, { key: data.key, peer: peerHex })],
  };
}

function quotaExceeded(
  view: EngineView,
  keyHex: string,
  publisherHex: string,
  fromAddr: string,
): string | null {
  const { pointers } = view.state;
  const { config } = view;
  if ((pointers.byKey.get(keyHex)?.size ?? 0) >= config.maxPublishersPerKey)
    return 'quota_publishers_per_key';
  if ((pointers.perPublisher.get(publisherHex) ?? 0) >= config.maxPointersPerPublisher)
    return 'quota_per_publisher';
  const group = sourceGroupOf(fromAddr);
  if ((pointers.perSourceGroup.get(group) ?? 0) >= config.maxPointersPerSourceGroup)
    return 'quota_per_source';
  return null;
}

/** The eviction of the entry furthest from us, unless the newcomer's key is further still. */
function makeRoom(view: EngineView, newKey: Uint8Array): EventDraft | null {
  const self = view.identity.id;
  let furthest: StoredPointer | undefined;
  for (const entry of allPointers(view.state.pointers)) {
    if (
      furthest === undefined ||
      compareDistance(self, entry.pointer.key, furthest.pointer.key) > 0
    )
      furthest = entry;
  }
  if (furthest === undefined || compareDistance(self, newKey, furthest.pointer.key) >= 0)
    return null;
  const { key, publisher } = furthest.data;
  return draft('pointer_evicted', { key, publisher }, { key });
}
