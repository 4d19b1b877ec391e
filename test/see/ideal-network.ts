import { bucketIndex, compareDistance } from '../../src/core/distance.js';
import { ID_BYTES, type NodeId } from '../../src/core/node-id.js';
import type { Random } from '../../src/core/random.js';
import type { DistanceSample } from '../../src/dht/netsize.js';

/**
 * A Kademlia network built directly from random IDs, without running it: each node's table
 * holds, per bucket, every node of that bucket's range or k of them when more exist (what a
 * long-running table converges to), and a converged lookup returns the true k closest. It
 * checks the size estimator at sizes the full simulation is too slow to build in a test.
 */
export interface IdealNetwork {
  readonly ids: NodeId[];
  /** The routing table of node `index` as a sample: its k closest table peers to itself. */
  tableSample(index: number): DistanceSample;
  /** A converged lookup from node `index` for a random target: the true k closest. */
  lookupSample(index: number): DistanceSample;
}

export function idealNetwork(random: Random, size: number, k = 20): IdealNetwork {
  const ids = Array.from({ length: size }, () => random.bytes(ID_BYTES));
  const closest = (target: NodeId, among: NodeId[]): NodeId[] =>
    [...among].sort((a, b) => compareDistance(target, a, b)).slice(0, k);
  return {
    ids,
    tableSample(index) {
      const self = ids[index]!;
      const perBucket = new Map<number, number>();
      const table: NodeId[] = [];
      // IDs are random, so the first k of a bucket in array order are a random k of it.
      for (const id of ids) {
        if (id === self) continue;
        const bucket = bucketIndex(self, id);
        const count = perBucket.get(bucket) ?? 0;
        if (count >= k) continue;
        perBucket.set(bucket, count + 1);
        table.push(id);
      }
      return { target: self, peers: closest(self, table) };
    },
    lookupSample(index) {
      const target = random.bytes(ID_BYTES);
      return {
        target,
        peers: closest(
          target,
          ids.filter((_, i) => i !== index),
        ),
      };
    },
  };
}
