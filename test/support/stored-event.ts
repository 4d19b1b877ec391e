import type { EventRefs } from '../../src/dht/node-context.js';
import type { EventDataMap, StoredEvent } from '../../src/events/event-types.js';

/**
 * An event as the log hands it to a fold: `seq` and `at` from the test, no hash (folds never
 * read it), the columns from `refs`.
 */
export function storedEvent<T extends keyof EventDataMap>(
  type: T,
  data: EventDataMap[T],
  at: number,
  seq: number,
  refs: EventRefs = {},
): StoredEvent {
  return {
    type,
    data,
    at,
    peer: refs.peer ?? null,
    key: refs.key ?? null,
    lookup: refs.lookup ?? null,
    seq,
    hash: '',
  } as StoredEvent;
}
