import { DEFAULT_DIFFICULTY } from '../core/proof-of-work.js';
import { Caps } from '../core/node-info.js';

/** `auto`: DHT capability once reachable; `server`/`client`: forced by the operator. */
export type ReachabilityMode = 'auto' | 'server' | 'client';

/** Engine settings. Numbers here are configuration (SPEC: "numbers with a default"). */
export interface DhtConfig {
  readonly k: number;
  readonly alpha: number;
  readonly rpcTimeoutMs: number;
  readonly lookupDeadlineMs: number;
  /** Minimum proof-of-work difficulty accepted from peers. */
  readonly difficulty: number;
  readonly caps: number;
  /** Apply the /24 caps to loopback addresses too (tests on 127.x). */
  readonly strictIpDiversity: boolean;
  readonly maxPeersPerGroupPerBucket: number;
  readonly maxPeersPerGroupInTable: number;
  readonly maxFailures: number;
  /** A peer's move to the tail is recorded at most this often (SPEC §5 peer_seen). */
  readonly peerSeenIntervalMs: number;
  /** Failures are not counted when our last success is older than this: our network is down. */
  readonly offlineAfterMs: number;
  readonly maxPointers: number;
  readonly maxPublishersPerKey: number;
  readonly maxPointersPerPublisher: number;
  readonly maxPointersPerSourceGroup: number;
  readonly republishIntervalMs: number;
  readonly pointerLifetimeS: number;
  readonly refreshCheckIntervalMs: number;
  readonly bucketIdleMs: number;
  readonly expirySweepIntervalMs: number;
  /** Restored peers that must answer at start for the node to skip bootstrapping. */
  readonly minRestoredPeers: number;
  readonly rejectionWindowMs: number;
  /** Requests one source address may send per second before it gets error 4. */
  readonly requestsPerSecondPerSource: number;
  readonly version: string;
  /**
   * Who decides the DHT capability (issue 15): `server` advertises it, `client` never does,
   * `auto` advertises it once a reachability check confirmed inbound connections reach us.
   */
  readonly reachabilityMode: ReachabilityMode;
  /** Run reachability checks (dial_back) at all; off in simulations and on loopback. */
  readonly reachabilityChecks: boolean;
  /** Re-check this often while reachable. */
  readonly reachabilityRecheckMs: number;
  /** Check again this soon while unknown or unreachable. */
  readonly reachabilityRetryMs: number;
  /** After the last dial_back answer, wait this long for probes. */
  readonly probeWaitMs: number;
  /** Distinct hosts that must observe the same address before we advertise it. */
  readonly minAddressVoters: number;
}

export const DEFAULT_CONFIG: DhtConfig = {
  k: 20, // SPEC §2
  alpha: 3, // SPEC §4.3
  rpcTimeoutMs: 2_000,
  lookupDeadlineMs: 10_000,
  difficulty: DEFAULT_DIFFICULTY,
  caps: Caps.DHT | Caps.STORAGE,
  strictIpDiversity: false,
  maxPeersPerGroupPerBucket: 2, // SPEC §2
  maxPeersPerGroupInTable: 10, // SPEC §2
  maxFailures: 3, // SPEC §2
  peerSeenIntervalMs: 60_000,
  offlineAfterMs: 60_000,
  maxPointers: 10_000,
  maxPublishersPerKey: 20,
  maxPointersPerPublisher: 100,
  maxPointersPerSourceGroup: 1_000,
  republishIntervalMs: 12 * 3_600_000,
  pointerLifetimeS: 24 * 3_600,
  refreshCheckIntervalMs: 60_000,
  bucketIdleMs: 3_600_000,
  expirySweepIntervalMs: 5 * 60_000,
  minRestoredPeers: 3,
  rejectionWindowMs: 60_000,
  // A lookup sends a peer one request; a busy neighbour a few per second. Loopback is exempt
  // unless strictIpDiversity (a devnet, benchmarks).
  requestsPerSecondPerSource: 200,
  version: '0.1.0',
  reachabilityMode: 'server',
  reachabilityChecks: false,
  reachabilityRecheckMs: 10 * 60_000,
  reachabilityRetryMs: 20_000,
  probeWaitMs: 5_000,
  minAddressVoters: 2,
};

export function makeConfig(overrides: Partial<DhtConfig> = {}): DhtConfig {
  return { ...DEFAULT_CONFIG, ...overrides };
}
