import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DaemonLog } from '../../src/cli/daemon-log.js';
import { SUMMARY_EVERY_MS, startSummary } from '../../src/cli/daemon-summary.js';
import type { StoredEvent } from '../../src/events/event-types.js';
import { createSimulation } from '../../src/sim/simulation.js';

/**
 * The daemon's summary line (src/cli/daemon-summary.ts) on virtual time: what it counts toward
 * a minute, and that the counts start again the next minute.
 */

/** Only the fields the summary reads; the rest of an event does not matter to it. */
function event(type: string, data: object = {}): StoredEvent {
  return { type, data, seq: 0, hash: '' } as unknown as StoredEvent;
}

test('a minute counts RPCs sent (and failed), received, and lookups; the next starts at zero', (t) => {
  const sim = createSimulation({ seed: 5, nodes: 6, checkEveryStep: false });
  const lines: string[] = [];
  const log: DaemonLog = { info: (l) => lines.push(l), warn: (l) => lines.push(`warn: ${l}`) };
  const summary = startSummary(sim.node(2), log, sim.timers, null);
  t.after(() => summary.stop());

  summary.observe(event('rpc_completed', { outcome: 'ok' }));
  summary.observe(event('rpc_completed', { outcome: 'timeout' }));
  summary.observe(event('rpc_received'));
  summary.observe(event('lookup_finished'));
  summary.observe(event('snapshot_written'));
  sim.bootstrapAll(); // events in the log, so the minute is not empty
  sim.runFor(SUMMARY_EVERY_MS);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /last minute: 2 RPCs sent \(1 failed\), 1 received, 1 lookups, /);

  sim.node(2).bootstrap([sim.seedOf(0)], () => undefined);
  sim.runFor(SUMMARY_EVERY_MS);
  assert.equal(lines.length, 2);
  assert.match(lines[1]!, /last minute: 0 RPCs sent \(0 failed\), 0 received, 0 lookups, /);
});

test('stopped, it writes no more lines', (t) => {
  const sim = createSimulation({ seed: 5, nodes: 6, checkEveryStep: false });
  const lines: string[] = [];
  const log: DaemonLog = { info: (l) => lines.push(l), warn: (l) => lines.push(l) };
  const summary = startSummary(sim.node(2), log, sim.timers, null);
  t.after(() => summary.stop());
  summary.stop();
  sim.bootstrapAll();
  sim.runFor(2 * SUMMARY_EVERY_MS);
  assert.deepEqual(lines, []);
});
