import { writeSync } from 'node:fs';
import { SqliteEventStore } from '../../src/events/sqlite-event-store.js';
import { mixedEvents, nodeStarted, snapshotAt } from './store-fixtures.js';

/**
 * Appends under load until killed (test/events/crash.test.ts). After each explicit flush it
 * prints the last committed seq with a synchronous write, so every printed seq is durable.
 */
const dataDir = process.argv[2]!;
const seed = Number(process.argv[3] ?? 1);
const store = SqliteEventStore.open(dataDir, { batchSize: 400 });
store.append(nodeStarted(Date.now()));
const events = mixedEvents(5_000, seed);
writeSync(1, 'ready\n');
let i = 0;
function burst(): void {
  for (let n = 0; n < 300; n++) store.append(events[i++ % events.length]!);
  if (i % 900 === 0) {
    store.flush();
    writeSync(1, `committed ${store.lastSeq}\n`);
  }
  if (i % 3_000 === 0) store.saveSnapshot(snapshotAt(store));
  setImmediate(burst); // the automatic flush also runs between bursts
}
burst();
