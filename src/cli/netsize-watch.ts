import { fromHex } from '../core/bytes.js';
import type { TimerHandle } from '../core/clock.js';
import type { DhtNode } from '../dht/dht-node.js';
import {
  changedMaterially,
  DEFAULT_SAMPLE_PEERS,
  estimateNetworkSize,
  routingSample,
  type DistanceSample,
  type NetworkSizeEstimate,
} from '../dht/netsize.js';
import type { StoredEvent } from '../events/event-types.js';

/**
 * The running node's network size estimate (src/dht/netsize.ts): its routing table plus the
 * results of its recent converged lookups (refreshes, finds), recomputed every half minute and
 * recorded as `network_size_estimated` when it moves by more than a tenth.
 */

const RECOMPUTE_MS = 30_000;
/** Lookups older than this saw a network that may since have grown or shrunk. */
const SAMPLE_MAX_AGE_MS = 2 * 60 * 60_000;
const MAX_SAMPLES = 32;

interface TimedSample extends DistanceSample {
  readonly atMs: number;
}

export class NetworkSizeWatch {
  private samples: TimedSample[] = [];
  private estimate: NetworkSizeEstimate | null = null;
  private recorded: NetworkSizeEstimate | null = null;
  private timer: TimerHandle | null = null;
  /** The table or the samples changed since the estimate was computed. */
  private stale = true;

  constructor(private readonly node: DhtNode) {}

  /** Starts the periodic recompute; the first one runs now. */
  start(): void {
    this.recompute();
    const schedule = (): void => {
      this.timer = this.node.timers.setTimer(RECOMPUTE_MS, () => {
        this.recompute();
        schedule();
      });
    };
    schedule();
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  /** The estimate now (recomputed if the table changed); events wait for the next period. */
  get current(): NetworkSizeEstimate | null {
    if (this.stale) this.compute();
    return this.estimate;
  }

  /** Keeps the result of each lookup that converged on a full set of k peers. */
  observe(event: StoredEvent): void {
    if (event.type === 'peer_added' || event.type === 'peer_evicted') this.stale = true;
    if (event.type !== 'lookup_finished' || event.data.reason !== 'converged') return;
    if (event.key === null || event.data.result.length < DEFAULT_SAMPLE_PEERS) return;
    const target = fromHex(event.key);
    if (target === null) return;
    const peers = event.data.result.flatMap((hex) => fromHex(hex) ?? []);
    this.samples.push({ target, peers, atMs: event.at });
    if (this.samples.length > MAX_SAMPLES) this.samples.shift();
    this.stale = true;
  }

  /** Recomputes and records the estimate when it moved materially since the last record. */
  recompute(): NetworkSizeEstimate | null {
    this.compute();
    if (this.estimate !== null && changedMaterially(this.recorded, this.estimate)) {
      const previous = this.recorded?.size ?? null;
      const { size, method, samples, peers } = this.estimate;
      if (this.node.record('network_size_estimated', { size, method, samples, peers, previous }))
        this.recorded = this.estimate;
    }
    return this.estimate;
  }

  private compute(): void {
    const now = this.node.timers.now();
    this.samples = this.samples.filter((s) => now - s.atMs <= SAMPLE_MAX_AGE_MS);
    this.estimate = estimateNetworkSize(routingSample(this.node.state.routing), this.samples);
    this.stale = false;
  }
}
