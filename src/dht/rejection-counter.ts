import { admissionKeys } from './rate-limiter.js';

/** Refusals of one host for one reason since the last flush: one `peer_rejected` event. */
export interface RejectionTally {
  /** The host (an IPv4 address or an IPv6 /64), as admission counts it. */
  readonly addr: string;
  readonly reason: string;
  readonly count: number;
}

/**
 * Aggregates refusals per source host and reason until the next flush (SPEC §5
 * `peer_rejected`, issue 11): a flood costs one event per host and reason per flush interval,
 * however many sockets it uses, and the recorded counts add up to the refusals made. Distinct
 * keys are bounded; past the bound a reason's refusals are counted under the host `other`, so
 * a flood from many hosts is still counted in full.
 */
export class RejectionCounter {
  /** Made by the first refusal: most nodes refuse nothing between two flushes. */
  private tallies: Map<string, Tally> | null = null;

  constructor(private readonly maxKeys = DEFAULT_MAX_KEYS) {}

  /** Counts one refusal of a request from `addr` (`host:port`, as the transport saw it). */
  add(addr: string, reason: string): void {
    const { host } = admissionKeys(addr);
    const tallies = (this.tallies ??= new Map<string, Tally>());
    let tally = tallies.get(`${host} ${reason}`);
    if (tally === undefined) {
      const overflow = tallies.size >= this.maxKeys;
      const key = overflow ? `${OVERFLOW_HOST} ${reason}` : `${host} ${reason}`;
      tally = tallies.get(key);
      if (tally === undefined) {
        tally = { addr: overflow ? OVERFLOW_HOST : host, reason, count: 0 };
        tallies.set(key, tally);
      }
    }
    tally.count++;
  }

  /** Refusals counted since the last drain, and not yet recorded. */
  get pending(): number {
    let total = 0;
    for (const tally of this.tallies?.values() ?? []) total += tally.count;
    return total;
  }

  /** The tallies to record now, in the order their hosts were first refused; starts afresh. */
  drain(): RejectionTally[] {
    const out = [...(this.tallies?.values() ?? [])];
    this.tallies = null;
    return out;
  }
}

interface Tally {
  readonly addr: string;
  readonly reason: string;
  count: number;
}

/** Distinct (host, reason) pairs held between flushes: ~100 bytes each, ~1 MB at most. */
const DEFAULT_MAX_KEYS = 10_000;
const OVERFLOW_HOST = 'other';
