import { writeSync } from 'node:fs';
import { SqliteEventStore } from '../../src/events/sqlite-event-store.js';
import { CRASH_BATCH, crashEvents, crashStarted } from './crash-events.js';
import { snapshotAt } from './store-fixtures.js';

/**
 * Appends under load until killed (test/events/crash.test.ts): the events of
 * `crashEvents(seed)` in order, committed by the store's own group commit (a full batch or
 * its timer) and by explicit flushes. Every commit prints `committed <seq>` with a synchronous
 * write right after it (in the journal's writer thread), so the parent knows each durable seq, and at most one commit (one
 * batch) can be durable yet unprinted when the kill lands.
 */
const dataDir = process.argv[2]!;
const seed = Number(process.argv[3] ?? 1);
// The writer thread reports each commit on stdout itself, right after it.
const store: SqliteEventStore = SqliteEventStore.open(dataDir, {
  batchSize: CRASH_BATCH,
  commitReportFd: 1,
});
store.append(crashStarted);
const events = crashEvents(seed);
writeSync(1, 'ready\n');
let i = 0;
function burst(): void {
  for (let n = 0; n < 300; n++) store.append(events[i++ % events.length]!);
  if (i % 900 === 0) store.flush();
  if (i % 3_000 === 0) store.saveSnapshot(snapshotAt(store));
  setImmediate(burst); // the automatic flush also runs between bursts
}
burst();
