import type { PeerInfo } from '../../core/node-info.js';
import type { Pointer } from '../../core/pointer.js';
import type { Body } from '../../net/messages.js';
import type { EngineView, EventDraft } from '../node-context.js';
import { decideStore, type StoreOutcome } from '../pointer-decisions.js';

/** `store`: invalid pointers and quota or journal trouble are errors; other refusals `ok: false`. */
export function storeAnswer(outcome: StoreOutcome): Body {
  if (outcome.ok) return { res: { op: 'stored', ok: true } };
  if (outcome.errorCode !== undefined)
    return { err: { code: outcome.errorCode, reason: outcome.reason } };
  return { res: { op: 'stored', ok: false, reason: outcome.reason } };
}

export function handleStore(
  view: EngineView,
  pointer: Pointer,
  requester: PeerInfo,
  nowMs: number,
): { body: Body; events: readonly EventDraft[] } {
  const { outcome, events } = decideStore(
    view,
    pointer,
    requester.addr,
    requester.identity.idHex,
    nowMs,
  );
  return { body: storeAnswer(outcome), events };
}
