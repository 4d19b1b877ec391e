import { TesdError } from '../core/errors.js';
import type { EventType, NewEvent, StoredEvent } from './event-types.js';

/**
 * A snapshot of the projections at `seq` (SPEC §5): a checkpoint whose (seq, hash) is signed
 * with the node key. `state` is the versioned JSON of the projections.
 */
export interface SnapshotRecord {
  readonly seq: number;
  readonly hash: string;
  readonly at: number;
  readonly version: number;
  readonly state: string;
  /** Hex Ed25519 signature by the node key over `checkpointBytes(seq, hash)`. */
  readonly signature: string;
}

export interface EventQuery {
  /** Only events with seq greater than this. */
  afterSeq?: number;
  /** Only events with seq at most this. */
  untilSeq?: number;
  type?: EventType;
  /** Only events of these types (restart reads only what the projections fold). */
  types?: readonly EventType[];
  peer?: string;
  key?: string;
  lookup?: number;
  limit?: number;
}

export interface JournalStatus {
  readonly paused: boolean;
  /** Why appends are failing, while paused. */
  readonly error: string | null;
}

/** Thrown by append while the journal cannot write: the caller must not change state. */
export class JournalUnavailableError extends TesdError {
  constructor(reason: string) {
    super('journal_unavailable', `event journal unavailable: ${reason}`);
  }
}

/**
 * The event log port. Two adapters: in memory (tests, simulation) and SQLite (a real node).
 * `append` assigns seq and hash and returns at once; `flush` makes appended events durable
 * (group commit). An append that cannot be recorded throws JournalUnavailableError and
 * records nothing.
 */
export interface EventStore {
  append(event: NewEvent): StoredEvent;
  flush(): void;
  readonly lastSeq: number;
  readonly lastHash: string;
  readonly status: JournalStatus;
  read(query?: EventQuery): Iterable<StoredEvent>;
  latestSnapshot(): SnapshotRecord | null;
  saveSnapshot(snapshot: SnapshotRecord): void;
  close(): void;
}
