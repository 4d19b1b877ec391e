import { normalizeAddress } from '../core/address.js';
import { admissionHost } from './rate-limiter.js';

/**
 * The address a node advertises, by agreement (issue 15 item 3): peers tell us how they see
 * us (`pong.observed`, `dialing.observed`); one vote per observing **host** (an IPv4 address,
 * an IPv6 /64: several ports of one machine are one voter), its latest observation only. The
 * agreed address is the one at least `minVoters` hosts currently report, the most voted one
 * winning (ties to IPv4, then to the most recent). One peer, however often it answers, cannot move it, and
 * neither can the last `pong`.
 */

/** A vote older than this no longer counts: NAT mappings and DHCP leases change. */
export const OBSERVATION_TTL_MS = 30 * 60_000;
/** Voters remembered; the oldest goes first, so a flood of peers cannot grow the map. */
const MAX_VOTERS = 64;

interface Vote {
  readonly voter: string;
  readonly addr: string;
  readonly atMs: number;
}

/**
 * The votes and, per address, how many hosts vote for it, kept as votes come and go: a busy
 * node hears a `pong` per ping it sends, so a vote costs a few map operations, not a recount.
 */
export class ObservedAddresses {
  /** In the order they were cast (delete, then set), so the oldest voter is at the head. */
  private readonly votes = new Map<string, Vote>();
  private readonly voters = new Map<string, number>();
  private agreedAddr: string | null = null;
  /** The last reported text and its canonical form: one host usually reports one address. */
  private lastText = '';
  private lastAddr: string | null = null;
  /**
   * No vote is older than this (a lower bound: removals leave it be). Every `pong` casts a
   * vote, and until the oldest could have expired there is no need to look at the other 63.
   */
  private oldestAtMs = Infinity;

  constructor(private readonly minVoters: number) {}

  /**
   * Records that the peer at `observerAddr` sees us at `observed`. Returns the new agreed
   * address when this vote changed it, else null.
   */
  observe(observed: string, observerAddr: string, nowMs: number): string | null {
    const addr = this.canonical(observed);
    const voter = admissionHost(observerAddr);
    if (addr === null || voter === null) return null;
    const previous = this.votes.get(voter);
    if (previous !== undefined) this.remove(previous);
    this.add({ voter, addr, atMs: nowMs });
    if (this.votes.size > MAX_VOTERS) this.remove(this.votes.values().next().value!);
    this.expire(nowMs);
    return this.recount();
  }

  /** The address several distinct hosts agree on, or null while they do not. */
  get agreed(): string | null {
    return this.agreedAddr;
  }

  /** The best-supported address and how many hosts report it (for /status), even below quorum. */
  leading(nowMs: number): { addr: string; voters: number } | null {
    this.expire(nowMs);
    const addr = this.best();
    return addr === null ? null : { addr, voters: this.voters.get(addr)! };
  }

  private canonical(observed: string): string | null {
    if (observed !== this.lastText) {
      this.lastText = observed;
      this.lastAddr = normalizeAddress(observed);
    }
    return this.lastAddr;
  }

  private add(vote: Vote): void {
    this.votes.set(vote.voter, vote);
    if (vote.atMs < this.oldestAtMs) this.oldestAtMs = vote.atMs;
    this.voters.set(vote.addr, (this.voters.get(vote.addr) ?? 0) + 1);
  }

  private remove(vote: Vote): void {
    this.votes.delete(vote.voter);
    const left = this.voters.get(vote.addr)! - 1;
    if (left === 0) this.voters.delete(vote.addr);
    else this.voters.set(vote.addr, left);
  }

  /**
   * Every vote past its TTL goes. All are looked at once the oldest may have expired, not just
   * the head: a clock that stepped back reorders them.
   */
  private expire(nowMs: number): void {
    if (nowMs - this.oldestAtMs <= OBSERVATION_TTL_MS) return;
    let oldest = Infinity;
    for (const vote of this.votes.values()) {
      if (nowMs - vote.atMs > OBSERVATION_TTL_MS) this.remove(vote);
      else if (vote.atMs < oldest) oldest = vote.atMs;
    }
    this.oldestAtMs = oldest;
  }

  private recount(): string | null {
    const best = this.best();
    const agreed = best !== null && this.voters.get(best)! >= this.minVoters ? best : null;
    if (agreed === null || agreed === this.agreedAddr) return null;
    this.agreedAddr = agreed;
    return agreed;
  }

  /** The most voted address; ties to IPv4, then to the most recent vote. */
  private best(): string | null {
    let best: string | null = null;
    let bestVoters = 0;
    for (const [addr, voters] of this.voters) {
      if (best === null || this.ahead(addr, voters, best, bestVoters)) {
        best = addr;
        bestVoters = voters;
      }
    }
    return best;
  }

  private ahead(addr: string, voters: number, other: string, otherVoters: number): boolean {
    if (voters !== otherVoters) return voters > otherVoters;
    const rank = ipv6Rank(addr) - ipv6Rank(other);
    if (rank !== 0) return rank < 0;
    return this.lastVoteAt(addr) > this.lastVoteAt(other);
  }

  /** Only a tie asks for this, so it is found by looking, not kept. */
  private lastVoteAt(addr: string): number {
    let last = -Infinity;
    for (const vote of this.votes.values())
      if (vote.addr === addr && vote.atMs > last) last = vote.atMs;
    return last;
  }
}

/**
 * Between as many voters for an IPv4 and an IPv6 address (a dual-stack node heard by one peer
 * of each family), IPv4 wins: it is the family a NAT makes unreachable, so it is the one whose
 * reachability must be proven before the node serves the DHT (reachability-evidence.ts).
 */
function ipv6Rank(addr: string): number {
  return addr.startsWith('[') ? 1 : 0;
}
