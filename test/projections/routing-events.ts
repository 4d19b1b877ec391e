import { toHex } from '../../src/core/bytes.js';
import { bucketIndex, randomIdInBucket } from '../../src/core/distance.js';
import type { NodeId } from '../../src/core/node-id.js';
import { seededRandom } from '../../src/core/random.js';
import type { EventDataMap } from '../../src/events/event-types.js';
import { IdentityInterner } from '../../src/projections/peer-identity.js';
import {
  emptyRouting,
  evolveRouting,
  type RoutingState,
} from '../../src/projections/routing-table.js';
import { storedEvent } from '../support/stored-event.js';

/**
 * The routing table's events as the log stores them, for tests of the fold itself
 * (test/projections): a table of our own, IDs in chosen buckets, one call per event.
 */
export class RoutingLog {
  private seq = 0;
  private readonly random = seededRandom(160);

  /** Folds into `state`, by default an empty table of our own. */
  constructor(
    readonly self: NodeId,
    readonly state: RoutingState = emptyRouting(self, toHex(self), new IdentityInterner()),
  ) {}

  /** A fresh ID in bucket `index` of our table. */
  idIn(index: number): NodeId {
    return randomIdInBucket(this.self, index, this.random.bytes(20));
  }

  fold<T extends keyof EventDataMap>(type: T, data: EventDataMap[T], at = 1000): RoutingState {
    return evolveRouting(this.state, storedEvent(type, data, at, ++this.seq));
  }

  added(id: NodeId, at = 1000, addr = '127.0.0.1:1'): RoutingState {
    return this.fold('peer_added', { ...peer(id, addr), bucket: bucketIndex(this.self, id) }, at);
  }

  cached(id: NodeId, at = 1000, addr = '127.0.0.1:1'): RoutingState {
    return this.fold('peer_cached', { ...peer(id, addr), bucket: bucketIndex(this.self, id) }, at);
  }

  /** IDs of bucket `index`'s entries (least recently seen first) and replacements (newest first). */
  bucket(index: number): { entries: string[]; replacements: string[] } {
    const bucket = this.state.buckets[index];
    return {
      entries: (bucket?.entries ?? []).map((e) => e.peer.identity.idHex),
      replacements: (bucket?.replacements ?? []).map((p) => p.identity.idHex),
    };
  }
}

function peer(id: NodeId, addr: string) {
  return { id: toHex(id), addr, caps: 1, pk: '00'.repeat(32), nonce: 0 };
}
