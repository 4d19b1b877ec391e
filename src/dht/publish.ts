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
import type { PeerInfo } from '../core/node-info.js';
import { runFanOut } from './fan-out.js';
import type { EngineView, NodeDriver } from './node-context.js';
import { lookup, type LookupResult } from './iterative-lookup.js';
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

/**
 * Where a pointer goes once its key was looked up (SPEC §4.3): the k closest found, and this
 * node too when it is closer than the k-th (or fewer than k were found).
 */
export function storeTargets(
  view: EngineView,
  key: Uint8Array,
  found: LookupResult,
): { closest: PeerInfo[]; self: boolean } {
  const closest = found.closest.slice(0, view.config.k);
  const kth = closest[closest.length - 1];
  const self =
    closest.length < view.config.k ||
    (kth !== undefined && compareDistance(key, view.identity.id, kth.identity.id) < 0);
  return { closest, self };
}

function storeAtClosest(
  node: NodeDriver,
  pointer: Pointer,
  done: (result: PublishResult) => void,
): void {
  const keyHex = toHex(pointer.key);
  lookup(node, { target: pointer.key, kind: 'node' }, (found) => {
    const { closest, self } = storeTargets(node, pointer.key, found);
    let storedAt = 0;
    if (self && storePointer(node, pointer, node.self.addr, null).ok) storedAt++;
    const request = { op: 'store', pointer: pointerToWire(pointer) } as const;
    // Every store at once: the k closest are few, and the result waits for all of them.
    runFanOut(
      closest.length,
      closest.length,
      (i, settled) =>
        sendRpc(node, closest[i]!, request, found.id, (result) => {
          if (result.ok && result.response.op === 'stored' && result.response.ok) storedAt++;
          settled();
        }),
      () =>
        done({
          ok: storedAt > 0,
          key: keyHex,
          seq: pointer.seq,
          expires: pointer.expires,
          storedAt,
          lookupId: found.id,
        }),
    );
  });
}
