import {
  JournalUnavailableError,
  type EventStore,
  type EventQuery,
  type JournalStatus,
  type SnapshotRecord,
} from '../events/event-store.js';
import type { NewEvent, StoredEvent } from '../events/event-types.js';

const STOPPED: JournalStatus = { paused: true, error: 'the node is stopped' };

/**
 * The node's store, which refuses appends once the node has stopped. An embedding process
 * lives on after `stop()`: a lookup deadline that fires later must find a paused journal
 * (the engine then records nothing) rather than a closed database.
 */
export class StoppableStore implements EventStore {
  stopped = false;

  constructor(private readonly inner: EventStore) {}

  stop(): void {
    this.stopped = true;
  }

  append(event: NewEvent): StoredEvent {
    if (this.stopped) throw new JournalUnavailableError(STOPPED.error!);
    return this.inner.append(event);
  }

  flush(): void {
    if (!this.stopped) this.inner.flush();
  }

  get lastSeq(): number {
    return this.inner.lastSeq;
  }

  get lastHash(): string {
    return this.inner.lastHash;
  }

  get status(): JournalStatus {
    return this.stopped ? STOPPED : this.inner.status;
  }

  read(query?: EventQuery): Iterable<StoredEvent> {
    return this.inner.read(query);
  }

  latestSnapshot(): SnapshotRecord | null {
    return this.inner.latestSnapshot();
  }

  saveSnapshot(snapshot: SnapshotRecord): void {
    this.inner.saveSnapshot(snapshot);
  }

  close(): void {
    this.stopped = true;
    this.inner.close();
  }
}
