import type { StoredEvent } from '../events/event-types.js';

/**
 * Fans the node's recorded events out to the live readers (`node.events()`, `node.lookup()`),
 * each of which can leave again: the store's own listener list only grows.
 */
export class EventFeed {
  private readonly listeners = new Set<(event: StoredEvent) => void>();

  publish(event: StoredEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  subscribe(listener: (event: StoredEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
