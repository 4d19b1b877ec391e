import { compareDistance } from '../core/distance.js';
import { toHex } from '../core/bytes.js';
import {
  pointerKey,
  signPointer,
  type Fragment,
  type Holder,
  type Pointer,
} from '../core/pointer.js';
import type { PointerData } from '../events/event-types.js';
import { pointerFromData, pointerToData } from '../projections/pointer-data.js';
import type { NodeDriver } from './node-context.js';
import { lookup } from './iterative-lookup.js';
import { storePointer } from './store-pointer.js';
import { sendRpc } from './rpc-client.js';
import { pointerToWire } from './wire-peers.js';

export interface PublishRequest {
  readonly tessera: Uint8Array;
  /** Who holds the tessera; this node when empty. */
  readonly holders?: readonly Holder[];
  readonly fragments?: readonly Fragment[];
}

export interface PublishResult {
  readonly ok: boolean;
  readonly key: string;
  readonly seq: number;
  readonly expires: number;
  /** Nodes that acknowledged the store, this one included when it is among the closest. */
  readonly storedAt: number;
  readonly lookupId: number;
  readonly error?: string;
}

/**
 * SPEC §4.3 publish: sign the next version of our pointer for the tessera, record it (so it
 * is republished after a restart), look up the key and store at the k closest.
 */
export function publish(
  node: NodeDriver,
  request: PublishRequest,
  done: (result: PublishResult) => void,
): void {
  const keyHex = toHex(pointerKey(request.tessera));
  const previous = node.state.pointers.published.get(keyHex);
  const pointer = signPointer(
    {
      tessera: request.tessera,
      holders: request.holders?.length
        ? request.holders
        : [{ id: node.identity.id, addr: node.advertisedAddr }],
      fragments: request.fragments ?? [],
      publisher: node.key.pk,
      seq: (previous?.seq ?? 0) + 1,
      expires: Math.floor(node.timers.now() / 1000) + node.config.pointerLifetimeS,
    },
    node.key,
  );
  const data = pointerToData(pointer);
  if (node.record('pointer_published', data, { key: keyHex }) === null) {
    done({
      ok: false,
      key: keyHex,
      seq: pointer.seq,
      expires: pointer.expires,
      storedAt: 0,
      lookupId: 0,
      error: 'journal unavailable',
    });
    return;
  }
  storeAtClosest(node, pointer, done);
}

/** Republishes our own pointer recorded in `data` as a new version with a fresh expiry. */
export function republish(
  node: NodeDriver,
  data: PointerData,
  done: (result: PublishResult) => void,
): void {
  const previous = pointerFromData(data);
  publish(
    node,
    { tessera: previous.tessera, holders: previous.holders, fragments: previous.fragments },
    done,
  );
}

function storeAtClosest(
  node: NodeDriver,
  pointer: Pointer,
  done: (result: PublishResult) => void,
): void {
  const keyHex = toHex(pointer.key);
  lookup(node, { target: pointer.key, kind: 'node' }, (found) => {
    const closest = found.closest.slice(0, node.config.k);
    let storedAt = 0;
    const kth = closest[closest.length - 1];
    const selfAmongClosest =
      closest.length < node.config.k ||
      (kth !== undefined && compareDistance(pointer.key, node.identity.id, kth.identity.id) < 0);
    if (selfAmongClosest && storePointer(node, pointer, node.self.addr, null).ok) storedAt++;
    let waiting = closest.length;
    const finish = (): void =>
      done({
        ok: storedAt > 0,
        key: keyHex,
        seq: pointer.seq,
        expires: pointer.expires,
        storedAt,
        lookupId: found.id,
      });
    if (waiting === 0) {
      finish();
      return;
    }
    for (const peer of closest) {
      sendRpc(node, peer, { op: 'store', pointer: pointerToWire(pointer) }, found.id, (result) => {
        if (result.ok && result.response.op === 'stored' && result.response.ok) storedAt++;
        if (--waiting === 0) finish();
      });
    }
  });
}
