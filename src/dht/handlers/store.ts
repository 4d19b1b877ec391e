import type { PeerInfo } from '../../core/node-info.js';
import type { Pointer } from '../../core/pointer.js';
import type { Body } from '../../net/messages.js';
import type { DhtNode } from '../dht-node.js';
import { decideStore } from '../pointer-decisions.js';

/** `store`: invalid pointers and quota or journal trouble are errors; other refusals `ok: false`. */
export function handleStore(node: DhtNode, pointer: Pointer, requester: PeerInfo): Body {
  const outcome = decideStore(node, pointer, requester.addr, requester.identity.idHex);
  if (outcome.ok) return { res: { op: 'stored', ok: true } };
  if (outcome.errorCode !== undefined)
    return { err: { code: outcome.errorCode, reason: outcome.reason } };
  return { res: { op: 'stored', ok: false, reason: outcome.reason } };
}
