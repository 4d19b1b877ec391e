import type { Clock } from '../core/clock.js';
import { JournalUnavailableError, type EventStore } from '../events/event-store.js';
import type { EventDataMap, EventType, StoredEvent } from '../events/event-types.js';
import { evolveNode, type NodeState } from '../projections/node-state.js';
import type { EventRefs } from './node-context.js';

/**
 * The one way the node's state changes: an event is appended to the journal, then folded into
 * the state. While the journal refuses (a full disk, a failed group commit) nothing is recorded
 * and nothing changes (SPEC §5: degraded, never inconsistent); the pause is told once, and
 * when the journal takes events again the pause and the resumption are recorded as a pair.
 */
export class JournalRecorder {
  /** Why the journal refused, while it does; null while it records. */
  private journalError: string | null = null;

  constructor(
    private readonly store: EventStore,
    private readonly state: NodeState,
    private readonly clock: Clock,
    private readonly warn: (message: string) => void,
  ) {}

  get paused(): boolean {
    return this.journalError !== null || this.store.status.paused;
  }

  /** True when events can be recorded; records the pause and resumption once the store recovered. */
  canRecord(): boolean {
    const status = this.store.status;
    if (status.paused) {
      if (this.journalError === null) this.pause(status.error ?? 'journal paused');
      return false;
    }
    if (this.journalError !== null) this.resume();
    return true;
  }

  /**
   * Appends an event, then folds it into the state. Returns null, changing nothing, when the
   * journal cannot record it.
   */
  record<T extends EventType>(
    type: T,
    data: EventDataMap[T],
    refs: EventRefs = {},
  ): StoredEvent | null {
    if (!this.canRecord()) return null;
    const event = {
      type,
      at: this.clock.now(),
      peer: refs.peer ?? null,
      key: refs.key ?? null,
      lookup: refs.lookup ?? null,
      data,
    } as StoredEvent;
    let stored: StoredEvent;
    try {
      stored = this.store.append(event);
    } catch (error) {
      if (!(error instanceof JournalUnavailableError)) throw error;
      if (this.journalError === null) this.pause(error.message);
      return null;
    }
    evolveNode(this.state, stored);
    return stored;
  }

  private pause(error: string): void {
    this.journalError = error;
    this.warn(
      `event journal unavailable (${error}): serving reads only, refusing stores until it recovers`,
    );
  }

  private resume(): void {
    const error = this.journalError ?? 'unknown';
    this.journalError = null;
    this.record('journal_paused', { error });
    this.record('journal_resumed', { error });
    this.warn('event journal writable again; resumed');
  }
}
