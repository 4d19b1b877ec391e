import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JournalStatus } from '../../src/events/event-store.js';
import { JournalPause } from '../../src/events/journal-pause.js';

test('a failed write pauses once, retries on its timer, and resumes when the retry succeeds', () => {
  const statuses: JournalStatus[] = [];
  const retries: Array<() => void> = [];
  let writes = 0;
  const pause = new JournalPause(
    {
      onStatusChange: (status) => statuses.push(status),
      setRetryTimer: (retry) => {
        retries.push(retry);
        return { cancel: () => retries.splice(retries.indexOf(retry), 1) };
      },
    },
    () => {
      writes++;
      if (writes < 2) return false;
      pause.leave();
      return true;
    },
  );

  pause.enter(Object.assign(new Error('disk full'), { code: 'SQLITE_FULL' }));
  pause.enter(new Error('still full'));
  assert.equal(pause.failure, 'still full');
  assert.deepEqual(statuses, [{ paused: true, error: 'SQLITE_FULL: disk full' }]);
  assert.equal(retries.length, 1, 'one retry timer, however often the write fails');

  retries.shift()!();
  assert.equal(retries.length, 1, 'a failed retry arms the next');
  retries.shift()!();
  assert.equal(pause.failure, null);
  assert.deepEqual(statuses.at(-1), { paused: false, error: null });
  assert.equal(retries.length, 0);
});

test('after stop, a failure arms no retry', () => {
  const retries: Array<() => void> = [];
  const pause = new JournalPause(
    {
      setRetryTimer: (retry) => {
        retries.push(retry);
        return { cancel: () => retries.splice(retries.indexOf(retry), 1) };
      },
    },
    () => false,
  );
  pause.enter(new Error('disk full'));
  assert.equal(retries.length, 1);
  pause.stop();
  assert.equal(retries.length, 0);
  pause.enter(new Error('disk full'));
  assert.equal(retries.length, 0);
  assert.deepEqual(pause.status, { paused: true, error: 'disk full' });
});
