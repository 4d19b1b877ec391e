import { invariant } from '../core/errors.js';
import { hexValue, ID_BITS, prefix31OfHex } from '../core/node-id.js';
import type { PeerInfo } from '../core/node-info.js';
import type { TablePeer } from './peer-identity.js';

/**
 * What a routing table is made of (the fold is routing-table.ts): its buckets and the index
 * over them. Small on purpose: 10,000 simulated tables hold two million entries.
 */

/** One entry of a table as its readers see it (made on demand from its bucket). */
export interface RoutingEntry {
  readonly peer: TablePeer;
  readonly addedAtMs: number;
  readonly lastSeenAtMs: number;
  /** Consecutive failed RPCs; 3 evict (SPEC §2). */
  readonly failures: number;
}

/** Each entry's own facts in `Bucket.facts`: three numbers, in the order of its peers. */
const ADDED = 0;
const SEEN = 1;
const FAILURES = 2;
const FACTS = 3;

/**
 * A bucket, packed: its entries' shared peers in one array, least recently seen first, and
 * their own facts (times added and last seen, failures) three numbers each in another.
 * Choosing the closest and finding a peer read the peers array and the process's shared
 * peers, never an object per entry: at 10,000 simulated nodes the tables held two million
 * entry objects of 56 bytes, each a cache miss to read. Times are offsets from the process's
 * TIME_BASE: milliseconds since 1970 are no small integer, and each would be a boxed number.
 * Only the fold (routing-table.ts) changes a bucket.
 */
export class Bucket {
  private list: TablePeer[] = NO_PEERS;
  private facts: number[] = NO_FACTS;
  /** Newest first. */
  replacements: TablePeer[] = NO_PEERS;
  lastActivityAtMs = 0;

  /** The entries' peers, least recently seen first. */
  get peers(): readonly TablePeer[] {
    return this.list;
  }

  get size(): number {
    return this.list.length;
  }

  /** The entries, least recently seen first: made for each call, for views and cold paths. */
  get entries(): RoutingEntry[] {
    const out = new Array<RoutingEntry>(this.list.length);
    for (let i = 0; i < out.length; i++) out[i] = this.entryAt(i);
    return out;
  }

  entryAt(at: number): RoutingEntry {
    const { facts } = this;
    return {
      peer: this.list[at]!,
      addedAtMs: TIME_BASE.ms + facts[at * FACTS + ADDED]!,
      lastSeenAtMs: TIME_BASE.ms + facts[at * FACTS + SEEN]!,
      failures: facts[at * FACTS + FAILURES]!,
    };
  }

  lastSeenAt(at: number): number {
    return TIME_BASE.ms + this.facts[at * FACTS + SEEN]!;
  }

  failuresAt(at: number): number {
    return this.facts[at * FACTS + FAILURES]!;
  }

  /**
   * Where `peer` is, or -1. The entry of a peer we exchange with is nearly always the very
   * object we hold (the process's shared peer): found by comparing references, without
   * reading the bucket's peers, which at 10,000 simulated nodes are a cold cache line each.
   */
  indexOfPeer(peer: PeerInfo, idHex: string, idPrefix: number): number {
    const { list } = this;
    for (let i = list.length - 1; i >= 0; i--) if (list[i] === peer) return i;
    return this.indexOf(idHex, idPrefix);
  }

  /** Where the peer with this ID (and prefix31 of it) is, or -1. */
  indexOf(idHex: string, idPrefix: number): number {
    const { list } = this;
    for (let i = 0; i < list.length; i++) {
      const peer = list[i]!;
      if (peer.idPrefix === idPrefix && peer.identity.idHex === idHex) return i;
    }
    return -1;
  }

  /** For the fold: a new last entry. */
  add(peer: TablePeer, addedAtMs: number, lastSeenAtMs: number, failures: number): void {
    // New arrays of the exact size (a push would grow them to 41 and 123 slots).
    this.list = this.list.concat(peer);
    this.facts = this.facts.concat(offsetOf(addedAtMs), offsetOf(lastSeenAtMs), failures);
  }

  /** For the fold: the entry at `at` was seen (at `peer`'s address) and becomes the last. */
  seen(at: number, peer: TablePeer, atMs: number): void {
    const { list, facts } = this;
    const added = facts[at * FACTS + ADDED]!;
    const last = list.length - 1;
    // Shifted in place: no array made, as an entry seen again is the common change.
    for (let i = at; i < last; i++) {
      list[i] = list[i + 1]!;
      for (let f = 0; f < FACTS; f++) facts[i * FACTS + f] = facts[(i + 1) * FACTS + f]!;
    }
    list[last] = peer;
    facts[last * FACTS + ADDED] = added;
    facts[last * FACTS + SEEN] = offsetOf(atMs);
    facts[last * FACTS + FAILURES] = 0;
  }

  /** For the fold: the entry at `at` now has `failures` consecutive failures. */
  failed(at: number, failures: number): void {
    this.facts[at * FACTS + FAILURES] = failures;
  }

  /** For the fold: the entry at `at` left. */
  removeAt(at: number): void {
    this.list.splice(at, 1);
    this.facts.splice(at * FACTS, FACTS);
  }
}

/**
 * What a new bucket holds until its first entry or replacement: shared, frozen empty arrays
 * (the fold replaces them when it adds, and a change to them would throw). A refresh makes
 * buckets that stay empty, and arrays of their own cost 64 bytes each.
 */
const NO_PEERS = Object.freeze([]) as unknown as TablePeer[];
const NO_FACTS = Object.freeze([]) as unknown as number[];

/** The first time an entry was made on this process; entries keep their times from it. */
const TIME_BASE = { ms: NaN };

/** Offsets are small integers for 24 days past the base; later ones are plain numbers, exact. */
function offsetOf(atMs: number): number {
  if (Number.isNaN(TIME_BASE.ms)) TIME_BASE.ms = atMs;
  const offset = atMs - TIME_BASE.ms;
  invariant(TIME_BASE.ms + offset === atMs, `time ${atMs} is not a whole number of ms`);
  return offset;
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
    const found = this.find(idHex);
    return found === null ? undefined : found.bucket.entryAt(found.at);
  }

  has(idHex: string): boolean {
    return this.find(idHex) !== null;
  }

  /**
   * The bucket holding the entry with this ID and its place there, or null. The bucket
   * compares its peers' ID prefixes first: reading each peer's ID text is two more pointers
   * to follow.
   */
  find(idHex: string): { bucket: Bucket; at: number } | null {
    const index = bucketOfHex(this.selfHex, idHex);
    const bucket = index < 0 ? undefined : this.buckets[index];
    const at = bucket === undefined ? -1 : bucket.indexOf(idHex, prefix31OfHex(idHex));
    return bucket === undefined || at < 0 ? null : { bucket, at };
  }

  *values(): IterableIterator<RoutingEntry> {
    for (const bucket of this.buckets) if (bucket !== undefined) yield* bucket.entries;
  }

  *keys(): IterableIterator<string> {
    for (const bucket of this.buckets)
      if (bucket !== undefined) for (const peer of bucket.peers) yield peer.identity.idHex;
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
