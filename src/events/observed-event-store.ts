import type { EventQuery, EventStore, JournalStatus, SnapshotRecord } from './event-store.js';
import type { NewEvent, StoredEvent } from './event-types.js';

/**
 * An EventStore that tells listeners about every event it records. Metrics and the daemon's
 * summaries are fed from what the node records, not from calls sprinkled in the engine; tests
 * capture the state as it was just before an event.
 */
export class ObservedStore implements EventStore {
  private readonly listeners: Array<(event: StoredEvent) => void> = [];
  private readonly beforeListeners: Array<() => void> = [];

  constructor(readonly inner: EventStore) {}

  onAppend(listener: (event: StoredEvent) => void): void {
    this.listeners.push(listener);
  }

  beforeAppend(listener: () => void): void {
    this.beforeListeners.push(listener);
  }

  append(event: NewEvent): StoredEvent {
    for (const listener of this.beforeListeners) listener();
    const stored = this.inner.append(event);
    for (const listener of this.listeners) listener(stored);
    return stored;
  }

  flush(): void {
    this.inner.flush();
  }

  get lastSeq(): number {
    return this.inner.lastSeq;
  }

  get lastHash(): string {
    return this.inner.lastHash;
  }

  get status(): JournalStatus {
    return this.inner.status;
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
    this.inner.close();
  }
}
