import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { BootstrapResult } from '../../src/dht/bootstrap.js';
import type { FindResult } from '../../src/dht/find.js';
import type { PublishResult } from '../../src/dht/publish.js';
import { takeSnapshot } from '../../src/dht/snapshots.js';
import type { EventStore } from '../../src/events/event-store.js';
import { SqliteEventStore } from '../../src/events/sqlite-event-store.js';
import { nodeStateToJson } from '../../src/projections/node-state.js';
import { createSimulation, type Simulation } from '../../src/sim/simulation.js';
import { seeded } from '../support/seed.js';

const RESTARTED = 3;

function withSqliteNode(
  seed: number,
  run: (sim: Simulation, dataDir: string, open: () => SqliteEventStore) => void,
): void {
  const dataDir = mkdtempSync(join(tmpdir(), 'tesd-restart-'));
  let sim: Simulation | undefined;
  const open = (): SqliteEventStore =>
    SqliteEventStore.open(dataDir, { schedule: (flush) => void sim?.timers.setTimer(0, flush) });
  try {
    sim = createSimulation({
      seed,
      nodes: 10,
      checkEveryStep: false,
      storeFactory: (index): EventStore | undefined => (index === RESTARTED ? open() : undefined),
    });
    run(sim, dataDir, open);
  } finally {
    sim?.nodes[RESTARTED]?.store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const tessera = (n: number): Uint8Array =>
  Uint8Array.from({ length: 32 }, (_, i) => (i * 3 + n) & 255);

test('a node restarted on its log, with no bootstrap peers, finds a pointer published while it was down', () => {
  seeded(31, (seed) =>
    withSqliteNode(seed, (sim, _dataDir, open) => {
      sim.bootstrapAll();
      sim.runUntilIdle();
      const before = nodeStateToJson(sim.node(RESTARTED).state);
      assert.ok(before.routing.buckets.length > 0);
      takeSnapshot(sim.node(RESTARTED));
      sim.stopNode(RESTARTED);
      sim.nodes[RESTARTED]!.store.close();

      let published: PublishResult | undefined;
      sim.node(5).publish({ tessera: tessera(1) }, (r) => (published = r));
      sim.runUntilIdle();
      assert.ok(published?.ok);

      const restarted = sim.restartNode(RESTARTED, open());
      const restartSeq = restarted.store.lastSeq;
      const restoredJson = nodeStateToJson(restarted.node.state);
      assert.deepEqual(restoredJson.routing, before.routing, 'routing table back before answering');
      let rejoined: BootstrapResult | undefined;
      restarted.node.rejoin([], (r) => (rejoined = r));
      sim.runUntilIdle();
      assert.equal(rejoined?.restored, 9);
      assert.equal(rejoined?.answered, 9);
      const lookupsSinceStart = [
        ...restarted.store.read({ type: 'lookup_started', afterSeq: restartSeq }),
      ];
      assert.equal(lookupsSinceStart.length, 0, 'no bootstrap lookup after restart');

      let found: FindResult | undefined;
      restarted.node.find(Buffer.from(published.key, 'hex'), {}, (r) => (found = r));
      sim.runUntilIdle();
      assert.equal(found?.pointers.length, 1);
      sim.check();
    }),
  );
});

test('pointers whose expiry passed while the node was down are expired, with events, at start', () => {
  seeded(32, (seed) =>
    withSqliteNode(seed, (sim, _dataDir, open) => {
      sim.bootstrapAll();
      sim.runUntilIdle();
      let published: PublishResult | undefined;
      sim.node(7).publish({ tessera: tessera(2) }, (r) => (published = r));
      sim.runUntilIdle();
      assert.ok(published?.ok);
      assert.equal(sim.node(RESTARTED).state.pointers.size, 1);
      sim.stopNode(RESTARTED);
      sim.nodes[RESTARTED]!.store.close();
      sim.timers.runFor(25 * 3600 * 1000);
      const restarted = sim.restartNode(RESTARTED, open());
      assert.equal(restarted.node.state.pointers.size, 0);
      const expired = [...restarted.store.read({ type: 'pointer_expired' })];
      assert.equal(expired.length, 1);
      assert.equal(expired[0]?.key, published?.key);
      sim.check();
    }),
  );
});

test('a clock behind the log expires nothing and says so', () => {
  seeded(33, (seed) => {
    const sim = createSimulation({ seed, nodes: 2, checkEveryStep: false });
    sim.bootstrapAll();
    sim.runUntilIdle();
    sim.node(1).publish({ tessera: tessera(3) }, () => undefined);
    sim.runUntilIdle();
    sim.stopNode(0);
    // The log says it is later than the clock will be: as if the board booted at 1970 + x.
    const store = sim.nodes[0]!.store;
    store.append({
      type: 'node_stopped',
      at: sim.timers.now() + 48 * 3600_000,
      peer: null,
      key: null,
      lookup: null,
      data: { reason: 'clock test' },
    });
    sim.timers.runFor(30 * 3600_000);
    const restarted = sim.restartNode(0, store);
    assert.equal(
      restarted.node.state.pointers.size,
      1,
      'nothing expired while the clock is behind',
    );
    assert.ok(restarted.node.clockTrustedFromMs > sim.timers.now());
    assert.equal(restarted.warnings.length, 1);
    assert.match(
      restarted.warnings[0]!,
      /the clock \(.*\) is behind the last recorded event \(.*\): nothing expires until it passes it/,
    );
  });
});
