import { writeSync } from 'node:fs';
import { SqliteEventStore } from '../../src/events/sqlite-event-store.js';
import { mixedEvents, nodeStarted } from '../events/store-fixtures.js';

/**
 * A node's journal writing in another process, for tests that read or copy a log while it is
 * written (test/support/log-writer.ts). Appends a burst of events, commits it, prints
 * `committed <seq>` with a synchronous write (so every printed seq is durable), and goes on
 * every few milliseconds until SIGTERM, or by itself after `maxMs` (a bounded loop).
 */
const dataDir = process.argv[2]!;
const burst = Number(process.argv[3] ?? 20);
const pauseMs = Number(process.argv[4] ?? 5);
const maxMs = Number(process.argv[5] ?? 60_000);

const store = SqliteEventStore.open(dataDir, { checkpointInWorker: false });
if (store.lastSeq === 0) store.append(nodeStarted(1_700_000_000_000));
const events = mixedEvents(2_000, store.lastSeq + 1);
const stopAt = Date.now() + maxMs;
let next = 0;
let stopping = false;

function stop(): void {
  stopping = true;
}
process.on('SIGTERM', stop);

function write(): void {
  if (stopping || Date.now() > stopAt) {
    store.close();
    writeSync(1, 'stopped\n');
    return;
  }
  for (let n = 0; n < burst; n++) store.append(events[next++ % events.length]!);
  store.flush();
  writeSync(1, `committed ${store.lastSeq}\n`);
  setTimeout(write, pauseMs);
}
write();
