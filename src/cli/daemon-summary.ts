import type { TimerHandle, Timers } from '../core/clock.js';
import { shortId } from '../core/node-id.js';
import type { DhtNode } from '../dht/dht-node.js';
import type { StoredEvent } from '../events/event-types.js';
import type { DaemonLog } from './daemon-log.js';
import { heapRelease, type HeapRelease } from './heap-release.js';

/**
 * The daemon's summary line, every minute that something happened: what the node holds and
 * what it did in that minute. Idle is idle (issue 12): the timer does nothing when the minute
 * was empty, but for one garbage collection after a burst (heap-release.ts).
 */

export const SUMMARY_EVERY_MS = 60_000;
/** A minute with no more events than this is quiet: the heap a burst grew is collected then. */
export const QUIET_MINUTE_EVENTS = 60;

export interface DaemonSummary {
  /** Counts an event toward this minute's line; called for every recorded event. */
  observe(event: StoredEvent): void;
  stop(): void;
}

interface MinuteCounts {
  sent: number;
  received: number;
  failed: number;
  lookups: number;
}

/** heap: memory back after a burst (undefined: heapRelease(); null: never). */
export function startSummary(
  node: DhtNode,
  log: DaemonLog,
  timers: Timers,
  heap: HeapRelease | null | undefined,
): DaemonSummary {
  const counts: MinuteCounts = { sent: 0, received: 0, failed: 0, lookups: 0 };
  let summarySeq = node.store.lastSeq;
  const release = heap === undefined ? heapRelease() : heap;
  let timer: TimerHandle | null = null;

  const summary = (): void => {
    const { state } = node;
    const seq = node.store.lastSeq;
    // An empty minute says nothing: no line, no string built.
    if (seq !== summarySeq || node.journalPaused)
      log.info(
        `${shortId(node.idHex)}: ${state.routing.byId.size} peers, ${state.pointers.size} pointers; ` +
          `last minute: ${counts.sent} RPCs sent (${counts.failed} failed), ${counts.received} received, ` +
          `${counts.lookups} lookups, ${seq - summarySeq} events (seq ${seq})` +
          (node.journalPaused ? '; JOURNAL PAUSED' : ''),
      );
    if (seq - summarySeq <= QUIET_MINUTE_EVENTS) release?.afterQuietMinute();
    summarySeq = seq;
    counts.sent = counts.received = counts.failed = counts.lookups = 0;
    timer = timers.setTimer(SUMMARY_EVERY_MS, summary);
  };
  timer = timers.setTimer(SUMMARY_EVERY_MS, summary);

  return {
    observe: (event) => count(counts, event),
    stop() {
      timer?.cancel();
    },
  };
}

function count(counts: MinuteCounts, event: StoredEvent): void {
  if (event.type === 'rpc_completed') {
    counts.sent++;
    if (event.data.outcome !== 'ok') counts.failed++;
  } else if (event.type === 'rpc_received') counts.received++;
  else if (event.type === 'lookup_finished') counts.lookups++;
}
