import { normalizeAddress, parseAddress, sourceHost } from '../core/address.js';

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
  readonly addr: string;
  readonly atMs: number;
}

export class ObservedAddresses {
  private readonly votes = new Map<string, Vote>();
  private agreedAddr: string | null = null;

  constructor(private readonly minVoters: number) {}

  /**
   * Records that the peer at `observerAddr` sees us at `observed`. Returns the new agreed
   * address when this vote changed it, else null.
   */
  observe(observed: string, observerAddr: string, nowMs: number): string | null {
    const addr = normalizeAddress(observed);
    const observer = parseAddress(observerAddr);
    if (addr === null || observer === null) return null;
    const voter = sourceHost(observer.host);
    this.votes.delete(voter);
    this.votes.set(voter, { addr, atMs: nowMs });
    if (this.votes.size > MAX_VOTERS) this.votes.delete(this.votes.keys().next().value!);
    return this.recount(nowMs);
  }

  /** The address several distinct hosts agree on, or null while they do not. */
  get agreed(): string | null {
    return this.agreedAddr;
  }

  /** The best-supported address and how many hosts report it (for /status), even below quorum. */
  leading(nowMs: number): { addr: string; voters: number } | null {
    const best = this.tally(nowMs)[0];
    return best === undefined ? null : { addr: best.addr, voters: best.voters };
  }

  private recount(nowMs: number): string | null {
    const best = this.tally(nowMs)[0];
    const agreed = best !== undefined && best.voters >= this.minVoters ? best.addr : null;
    if (agreed === null || agreed === this.agreedAddr) return null;
    this.agreedAddr = agreed;
    return agreed;
  }

  private tally(nowMs: number): Array<{ addr: string; voters: number; lastMs: number }> {
    const counts = new Map<string, { addr: string; voters: number; lastMs: number }>();
    for (const [voter, vote] of this.votes) {
      if (nowMs - vote.atMs > OBSERVATION_TTL_MS) {
        this.votes.delete(voter);
        continue;
      }
      const entry = counts.get(vote.addr) ?? { addr: vote.addr, voters: 0, lastMs: 0 };
      entry.voters++;
      entry.lastMs = Math.max(entry.lastMs, vote.atMs);
      counts.set(vote.addr, entry);
    }
    return [...counts.values()].sort(
      (a, b) => b.voters - a.voters || ipv6Rank(a.addr) - ipv6Rank(b.addr) || b.lastMs - a.lastMs,
    );
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
