import { JournalUnavailableError, type JournalStatus } from '../events/event-store.js';
import type { NewEvent, StoredEvent } from '../events/event-types.js';
import { ObservedStore } from '../events/observed-event-store.js';

const STOPPED: JournalStatus = { paused: true, error: 'the node is stopped' };

/**
 * The node's store (an ObservedStore, which the admin page and the metrics listen to) that
 * refuses appends once the node has stopped. An embedding process lives on after `stop()`: a
 * lookup deadline that fires later must find a paused journal (the engine then records
 * nothing) rather than a closed database, which would throw from a timer into the host.
 */
export class StoppableStore extends ObservedStore {
  stopped = false;

  stop(): void {
    this.stopped = true;
  }

  override append(event: NewEvent): StoredEvent {
    if (this.stopped) throw new JournalUnavailableError(STOPPED.error!);
    return super.append(event);
  }

  override flush(): void {
    if (!this.stopped) super.flush();
  }

  override get status(): JournalStatus {
    return this.stopped ? STOPPED : super.status;
  }

  override close(): void {
    this.stopped = true;
    super.close();
  }
}
