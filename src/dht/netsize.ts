import { compareDistance } from '../core/distance.js';
import type { NodeId } from '../core/node-id.js';
import type { RoutingState } from '../projections/routing-table.js';

/**
 * Network size from the distances of the closest peers to a few keys, as go-libp2p-kad-dht's
 * netsize estimator does: IDs are uniform, so the XOR distances from any key to the nodes,
 * divided by 2^160, are like the points of a Poisson process of rate N on [0, 1). The r-th
 * closest then lies at a normalized distance d ~ Gamma(r, N). Pooling samples j (the r_j
 * closest peers found for key j), the maximum-likelihood rate is (sum r_j - 1) / sum d_j,
 * unbiased, with a relative error of about 1 / sqrt(sum r_j): one sample of k = 20 peers is
 * good to ~23%, the routing table plus six refresh lookups to ~9%.
 *
 * Pure: the samples come from the routing table (the peers closest to our own ID, which a
 * healthy table holds all of) and from lookups that converged (their k closest to a target).
 */

/** The closest peers known for one key, any order. */
export interface DistanceSample {
  readonly target: NodeId;
  readonly peers: readonly NodeId[];
}

export interface NetworkSizeEstimate {
  /** Nodes in the network, this one included. */
  readonly size: number;
  /** `counted`: the table holds fewer than k peers, so it knows everyone; else `distances`. */
  readonly method: 'counted' | 'distances';
  /** Samples used (the routing table's counts as one). */
  readonly samples: number;
  /** Peers whose distances went into the estimate. */
  readonly peers: number;
}

/** k of SPEC §2: a sample is its k closest peers. */
export const DEFAULT_SAMPLE_PEERS = 20;

/** XOR distance over 2^160 as a float in [0, 1): the first 7 bytes carry 53 bits. */
export function normalizedDistance(a: NodeId, b: NodeId): number {
  let value = 0;
  let scale = 1 / 256;
  for (let i = 0; i < 7 && i < a.length; i++) {
    value += (a[i]! ^ b[i]!) * scale;
    scale /= 256;
  }
  return value;
}

/** The routing table as a sample: the k peers closest to our own ID. */
export function routingSample(routing: RoutingState, k = DEFAULT_SAMPLE_PEERS): DistanceSample {
  const ids = [...routing.byId.values()].map((entry) => entry.peer.identity.id);
  ids.sort((a, b) => compareDistance(routing.selfId, a, b));
  return { target: routing.selfId, peers: ids.slice(0, k) };
}

/**
 * The estimate from the routing table's sample (first) and lookup samples; null when nothing
 * is known yet. A table with fewer than k peers in all is taken as the whole network (a small
 * network's nodes all know each other); lookup samples with fewer than k peers are skipped,
 * since a lookup that lost answers can return fewer than exist.
 */
export function estimateNetworkSize(
  table: DistanceSample,
  lookups: readonly DistanceSample[] = [],
  k = DEFAULT_SAMPLE_PEERS,
): NetworkSizeEstimate | null {
  if (table.peers.length === 0) return null;
  if (table.peers.length < k)
    return {
      size: table.peers.length + 1,
      method: 'counted',
      samples: 1,
      peers: table.peers.length,
    };
  let ranks = 0;
  let distances = 0;
  let samples = 0;
  for (const sample of [table, ...lookups]) {
    if (sample.peers.length < k) continue;
    const far = farthestOfClosest(sample, k);
    if (far <= 0) continue;
    ranks += k;
    distances += far;
    samples++;
  }
  if (samples === 0) return null;
  // Rate of the other nodes; the node itself is one more.
  const size = Math.round((ranks - 1) / distances) + 1;
  return { size, method: 'distances', samples, peers: ranks };
}

/** Normalized distance of the k-th closest peer of the sample to its target. */
function farthestOfClosest(sample: DistanceSample, k: number): number {
  const distances = sample.peers.map((peer) => normalizedDistance(sample.target, peer));
  distances.sort((a, b) => a - b);
  return distances[k - 1] ?? 0;
}

/** A change worth an event: by more than a tenth, or from nothing known. */
export function changedMaterially(
  before: NetworkSizeEstimate | null,
  after: NetworkSizeEstimate | null,
): boolean {
  if (after === null) return false;
  if (before === null) return true;
  if (before.method !== after.method) return true;
  return Math.abs(after.size - before.size) > before.size * 0.1;
}
