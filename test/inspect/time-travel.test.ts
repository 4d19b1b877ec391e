import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { routingToJson } from '../../src/projections/routing-table.js';
import { withLog } from '../../src/inspect/open-log.js';
import { stateAt } from '../../src/inspect/time-travel.js';
import { seeded } from '../support/seed.js';
import { runCli } from './cli-harness.js';
import { recordLog, type RecordedLog } from './recorded-log.js';

describe('tesd routing / pointers --at: time travel', () => {
  let log: RecordedLog;
  const cleanups: Array<() => void> = [];
  before(() => seeded(12, (seed) => (log = recordLog({ after: (fn) => cleanups.push(fn) }, seed))));
  after(() => cleanups.forEach((fn) => fn()));

  test('routing --at S equals the live routing table captured right after event S', () => {
    assert.ok(log.routingAfter.size > 50);
    let fromSnapshot = 0;
    withLog(log.dataDir, (l) => {
      for (const [seq, live] of log.routingAfter) {
        const at = stateAt(l.store, { seq });
        assert.equal(at.seq, seq);
        if (at.snapshotSeq !== null) fromSnapshot++;
        assert.deepEqual(routingToJson(at.state.routing), live, `routing after seq ${seq}`);
      }
    });
    assert.ok(fromSnapshot > 0, 'some moments start from a snapshot');
    assert.ok(fromSnapshot < log.routingAfter.size, 'some fold from the start of the log');
  });

  test('--at TIME picks the last event at or before that time', () => {
    withLog(log.dataDir, (l) => {
      const [seq] = [...log.routingAfter.keys()].filter((s) => s > 100);
      const row = l.db.prepare('SELECT at FROM events WHERE seq = ?').get(seq) as { at: number };
      const next = l.db.prepare('SELECT min(seq) AS seq FROM events WHERE at > ?').get(row.at) as {
        seq: number;
      };
      const at = stateAt(l.store, { atMs: row.at });
      assert.equal(at.seq, next.seq - 1);
      assert.equal(at.atMs, row.at);
    });
  });

  test('the CLI prints routing by bucket and pointers, as text and JSON', async () => {
    const seq = [...log.routingAfter.keys()].sort((a, b) => b - a)[0]!;
    const text = await runCli(['routing', '--at', String(seq), '--data-dir', log.dataDir]);
    assert.equal(text.exitCode, 0, text.err);
    assert.match(text.out, /^routing table of [0-9a-f]{40}, \d+ peers, as of seq \d+/);
    assert.match(text.out, /bucket \d+: .*shares \d+ prefix bits?/);
    const asJson = await runCli(['routing', '--json', '--data-dir', log.dataDir]);
    const view = JSON.parse(asJson.out) as { seq: number; buckets: Array<{ entries: unknown[] }> };
    assert.equal(view.seq, log.sim.nodes[4]!.node.state.lastSeq);
    assert.equal(
      view.buckets.reduce((n, b) => n + b.entries.length, 0),
      log.sim.nodes[4]!.node.state.routing.byId.size,
    );
    const pointers = await runCli(['pointers', '--json', '--data-dir', log.dataDir]);
    const stored = (JSON.parse(pointers.out) as { stored: unknown[] }).stored;
    assert.equal(stored.length, log.sim.nodes[4]!.node.state.pointers.size);
    const past = await runCli(['routing', '--at', '99999999', '--data-dir', log.dataDir]);
    assert.equal(past.exitCode, 1);
    assert.match(past.err, /past the end of the log/);
    const bad = await runCli(['routing', '--at', 'yesterday', '--data-dir', log.dataDir]);
    assert.match(bad.err, /^tesd: cannot read "yesterday" as a time/);
  });
});
