import { invariant } from '../core/errors.js';
import { ID_BITS } from '../core/node-id.js';
import type { TablePeer } from './peer-identity.js';

/**
 * What a routing table is made of (the fold is routing-table.ts): its entries, its buckets and
 * the index over them. Small on purpose: 10,000 simulated tables hold two million entries.
 */

export interface RoutingEntry {
  readonly peer: TablePeer;
  readonly addedAtMs: number;
  readonly lastSeenAtMs: number;
  /** Consecutive failed RPCs; 3 evict (SPEC §2). */
  readonly failures: number;
}

/**
 * An entry of one table: two million of them at 10,000 simulated nodes, so it holds only
 * what is the table's own (the peer's facts are in the shared TablePeer), and its times as
 * offsets from the process's TIME_BASE: milliseconds since 1970 are no small integer, and each
 * would be a boxed 16-byte number. Offsets are small integers for 24 days past the base;
 * later ones are plain numbers again, still exact.
 */
export class Entry implements RoutingEntry {
  private readonly addedOffsetMs: number;
  private readonly seenOffsetMs: number;

  constructor(
    readonly peer: TablePeer,
    addedAtMs: number,
    lastSeenAtMs: number,
    readonly failures: number,
  ) {
    this.addedOffsetMs = offsetOf(addedAtMs);
    this.seenOffsetMs = offsetOf(lastSeenAtMs);
  }

  get addedAtMs(): number {
    return TIME_BASE.ms + this.addedOffsetMs;
  }

  get lastSeenAtMs(): number {
    return TIME_BASE.ms + this.seenOffsetMs;
  }
}

/** The first time an entry was made on this process; entries keep their times from it. */
const TIME_BASE = { ms: NaN };

function offsetOf(atMs: number): number {
  if (Number.isNaN(TIME_BASE.ms)) TIME_BASE.ms = atMs;
  const offset = atMs - TIME_BASE.ms;
  invariant(TIME_BASE.ms + offset === atMs, `time ${atMs} is not a whole number of ms`);
  return offset;
}

export interface Bucket {
  /** Least recently seen first. */
  entries: RoutingEntry[];
  /** Newest first. */
  replacements: TablePeer[];
  lastActivityAtMs: number;
}

/**
 * The table's entries by ID hex without a map per table: an ID's bucket follows from its
 * first hex digit that differs from ours, and a bucket holds at most k entries to compare.
 * A map cost ~36 bytes per entry, 70 MB over 10,000 simulated tables. Iterates bucket by
 * bucket, each least recently seen first.
 */
export class TableIndex {
  private count = 0;

  constructor(
    private readonly selfHex: string,
    private readonly buckets: ReadonlyArray<Bucket | undefined>,
  ) {}

  get size(): number {
    return this.count;
  }

  get(idHex: string): RoutingEntry | undefined {
    const index = bucketOfHex(this.selfHex, idHex);
    const entries = index < 0 ? undefined : this.buckets[index]?.entries;
    if (entries === undefined) return undefined;
    // The peers' ID prefixes are compared first: reading each peer's ID text is two more
    // pointers to follow, and at 10,000 nodes each of them is a cache miss.
    const prefix = prefixOfHex(idHex);
    for (let i = 0; i < entries.length; i++) {
      const { peer } = entries[i]!;
      if (peer.idPrefix === prefix && peer.identity.idHex === idHex) return entries[i];
    }
    return undefined;
  }

  has(idHex: string): boolean {
    return this.get(idHex) !== undefined;
  }

  *values(): IterableIterator<RoutingEntry> {
    for (const bucket of this.buckets) if (bucket !== undefined) yield* bucket.entries;
  }

  *keys(): IterableIterator<string> {
    for (const entry of this.values()) yield entry.peer.identity.idHex;
  }

  /** For the fold only: an entry entered or left its bucket. */
  counted(delta: 1 | -1): void {
    this.count += delta;
  }
}

/** bucketIndex of an ID given as hex (lower case, as toHex writes it); -1 for ours or not an ID. */
function bucketOfHex(selfHex: string, idHex: string): number {
  if (idHex.length !== selfHex.length) return -1;
  for (let i = 0; i < idHex.length; i++) {
    const ours = selfHex.charCodeAt(i);
    const theirs = idHex.charCodeAt(i);
    if (ours === theirs) continue;
    const x = hexValue(ours) ^ hexValue(theirs);
    if (x > 15) return -1;
    return ID_BITS - 1 - (i * 4 + Math.clz32(x) - 28);
  }
  return -1;
}

/** prefix31 of an ID given as hex: its first 31 bits (meaningless for text that is no ID). */
function prefixOfHex(idHex: string): number {
  let bits = 0;
  for (let i = 0; i < 8; i++) bits = (bits << 4) | (hexValue(idHex.charCodeAt(i)) & 15);
  return bits >>> 1;
}

/** The value of a lower-case hex digit's char code; 16 or more for anything else. */
function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  return 32;
}
