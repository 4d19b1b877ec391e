/**
 * Which accepted connection goes when the node is full (SPEC §3.1, issue 11): the least
 * valuable one: idle, from a host that holds many, not in the routing table; never a newcomer
 * that just completed its handshake (it has had no chance to prove itself), never one with a
 * request in progress. Pure: the transport keeps the facts, this ranks them.
 */

export interface HeldConnection {
  /** The source host it came from (an IPv4 address, an IPv6 /64). */
  readonly host: string;
  readonly acceptedAtMs: number;
  /** When it last carried a request frame (or was accepted). */
  lastActiveMs: number;
}

export interface EvictionRules {
  readonly nowMs: number;
  /** A connection younger than this is a newcomer: never evicted. */
  readonly newcomerGraceMs: number;
  /** A connection active within this is busy: never evicted. */
  readonly idleAfterMs: number;
  /** Connections held per host, so that a host holding many loses first. */
  readonly perHost: ReadonlyMap<string, number>;
  /** True if the peer is worth keeping (it is in the routing table). */
  readonly valued: (connection: HeldConnection) => boolean;
}

/** The connection to evict, or null if every one is a newcomer or busy. */
export function chooseEviction<T extends HeldConnection>(
  held: Iterable<T>,
  rules: EvictionRules,
): T | null {
  let best: T | null = null;
  let bestRank: readonly number[] = [];
  for (const connection of held) {
    if (rules.nowMs - connection.acceptedAtMs < rules.newcomerGraceMs) continue;
    if (rules.nowMs - connection.lastActiveMs < rules.idleAfterMs) continue;
    // Lower ranks go first: not valued, then the host holding most, then the longest idle.
    const rank = [
      rules.valued(connection) ? 1 : 0,
      -(rules.perHost.get(connection.host) ?? 0),
      connection.lastActiveMs,
    ];
    if (best === null || lessThan(rank, bestRank)) {
      best = connection;
      bestRank = rank;
    }
  }
  return best;
}

function lessThan(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) {
    if (a[i]! !== b[i]!) return a[i]! < b[i]!;
  }
  return false;
}
