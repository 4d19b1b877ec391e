import {
  JournalUnavailableError,
  type EventQuery,
  type EventStore,
  type JournalStatus,
  type SnapshotRecord,
} from './event-store.js';
import type { NewEvent, StoredEvent } from './event-types.js';
import { chainHash, GENESIS_HASH } from './hash-chain.js';

export interface MemoryEventStoreOptions {
  /**
   * Keep at most this many events; older ones are dropped behind the latest snapshot. The
   * simulation benchmark keeps none: a real node's events leave its memory for SQLite, and
   * a tail kept per simulated node outlived the collector's young generation (at 2,000 nodes
   * the events were the largest share of what every RPC left for the old generation).
   */
  maxRetained?: number;
  /** Compute the hash chain (on by default; the large benchmark may skip it). */
  hashChain?: boolean;
}

const HEALTHY: JournalStatus = Object.freeze({ paused: false, error: null });

/** The in-memory adapter of the EventStore port: tests and the simulated network. */
export class MemoryEventStore implements EventStore {
  private readonly events: StoredEvent[] = [];
  private snapshot: SnapshotRecord | null = null;
  private seq = 0;
  private hash = GENESIS_HASH;
  private failure: string | null = null;

  constructor(private readonly options: MemoryEventStoreOptions = {}) {}

  get lastSeq(): number {
    return this.seq;
  }

  get lastHash(): string {
    return this.hash;
  }

  append(event: NewEvent): StoredEvent {
    if (this.failure !== null) throw new JournalUnavailableError(this.failure);
    const seq = this.seq + 1;
    const hash =
      this.options.hashChain === false
        ? this.hash
        : chainHash(this.hash, { ...event, seq, data: JSON.stringify(event.data) });
    // Spelled out, not spread: one object shape for every event on the simulation's hot path.
    const stored = {
      type: event.type,
      at: event.at,
      peer: event.peer,
      key: event.key,
      lookup: event.lookup,
      data: event.data,
      seq,
      hash,
    } as StoredEvent;
    this.seq = seq;
    this.hash = hash;
    const max = this.options.maxRetained;
    if (max === 0) return stored;
    this.events.push(stored);
    if (max !== undefined && this.events.length > max * 2)
      this.events.splice(0, this.events.length - max);
    return stored;
  }

  get status(): JournalStatus {
    // Read before every append: no object allocated for the common, healthy answer.
    return this.failure === null ? HEALTHY : { paused: true, error: this.failure };
  }

  /** Fault injection for tests: make appends fail (a full disk) or succeed again (null). */
  failAppends(reason: string | null): void {
    this.failure = reason;
  }

  flush(): void {}

  *read(query: EventQuery = {}): Iterable<StoredEvent> {
    let count = 0;
    // seqs are contiguous, so the first event after `afterSeq` is found by arithmetic.
    const first = this.events[0]?.seq ?? 1;
    const start = Math.max(0, (query.afterSeq ?? 0) - first + 1);
    for (let i = start; i < this.events.length; i++) {
      const event = this.events[i]!;
      if (query.limit !== undefined && count >= query.limit) return;
      if (query.afterSeq !== undefined && event.seq <= query.afterSeq) continue;
      if (query.untilSeq !== undefined && event.seq > query.untilSeq) return;
      if (query.type !== undefined && event.type !== query.type) continue;
      if (query.types !== undefined && !query.types.includes(event.type)) continue;
      if (query.peer !== undefined && event.peer !== query.peer) continue;
      if (query.key !== undefined && event.key !== query.key) continue;
      if (query.lookup !== undefined && event.lookup !== query.lookup) continue;
      count++;
      yield event;
    }
  }

  latestSnapshot(): SnapshotRecord | null {
    return this.snapshot;
  }

  saveSnapshot(snapshot: SnapshotRecord): void {
    this.snapshot = snapshot;
  }

  /** Oldest seq still held (events before it were dropped behind a snapshot). */
  get firstRetainedSeq(): number {
    return this.events[0]?.seq ?? this.seq + 1;
  }

  close(): void {}
}
