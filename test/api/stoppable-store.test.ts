import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StoppableStore } from '../../src/api/stoppable-store.js';
import { JournalUnavailableError } from '../../src/events/event-store.js';
import { MemoryEventStore } from '../../src/events/memory-event-store.js';

describe('the store of an embedded node', () => {
  it('records nothing once stopped: appends fail as a paused journal, which the engine tolerates', () => {
    const store = new StoppableStore(new MemoryEventStore());
    const event = {
      type: 'node_stopped',
      at: 1,
      peer: null,
      key: null,
      lookup: null,
      data: { reason: 'x' },
    } as const;
    assert.equal(store.append(event).seq, 1);
    store.stop();
    assert.equal(store.status.paused, true);
    assert.throws(() => store.append(event), JournalUnavailableError);
    assert.equal(store.lastSeq, 1);
  });
});
