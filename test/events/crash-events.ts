import type { NewEvent } from '../../src/events/event-types.js';
import { mixedEvents, nodeStarted } from './store-fixtures.js';

/** What test/events/crash-child.ts appends, so the parent can check every surviving row. */

/** Events per group commit in the child: the most that can be durable but unreported. */
export const CRASH_BATCH = 400;
const CYCLE = 5_000;

export const crashStarted: NewEvent = nodeStarted(1_700_000_000_000);

export function crashEvents(seed: number): NewEvent[] {
  return mixedEvents(CYCLE, seed);
}

/** The n-th row (0-based) a child with `seed` writes: node_started, then the events cycled. */
export function expectedCrashRow(events: readonly NewEvent[], n: number): NewEvent {
  return n === 0 ? crashStarted : events[(n - 1) % events.length]!;
}
