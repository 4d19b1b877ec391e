import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requirement, withTimeout, type SkippableTest } from './requirement.js';

/** A test context that records what the helper did with it. */
function fakeTest(): SkippableTest & { skipped: string[]; notes: string[] } {
  const skipped: string[] = [];
  const notes: string[] = [];
  return {
    name: 'needs a tool',
    skipped,
    notes,
    skip: (message) => void skipped.push(message ?? ''),
    diagnostic: (message) => void notes.push(message),
  };
}

test('a met requirement lets the test run, in CI and elsewhere', () => {
  const t = fakeTest();
  assert.equal(requirement(t, 'chromium', null, { CI: 'true' }), true);
  assert.equal(requirement(t, 'chromium', null, {}), true);
  assert.deepEqual(t.skipped, []);
});

test('under CI=true a missing requirement fails the test with the reason', () => {
  const t = fakeTest();
  assert.throws(
    () => requirement(t, 'a tmpfs mount (root)', 'mount refused: EPERM', { CI: 'true' }),
    {
      message: /needs a tmpfs mount \(root\): mount refused: EPERM \(CI=true/,
    },
  );
  assert.deepEqual(t.skipped, []);
});

test('elsewhere a missing requirement skips with the reason, in the skip and the diagnostics', () => {
  const t = fakeTest();
  assert.equal(requirement(t, 'chromium', '/usr/bin/chromium is missing', {}), false);
  assert.deepEqual(t.skipped, ['needs chromium: /usr/bin/chromium is missing']);
  assert.match(t.notes[0]!, /^SKIPPED needs chromium: \/usr\/bin\/chromium is missing/);
});

test('withTimeout passes a settled value through and rejects a stalled wait with its name', async () => {
  assert.equal(await withTimeout(Promise.resolve(7), 1_000, 'seven'), 7);
  let seen = 'nothing';
  const stalled = withTimeout(new Promise(() => undefined), 20, () => `"ready" (saw ${seen})`);
  seen = 'half a line';
  await assert.rejects(stalled, {
    message: 'timed out after 20 ms waiting for "ready" (saw half a line)',
  });
});
