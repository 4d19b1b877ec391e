import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bucketIndex } from '../../src/core/distance.js';
import { parseNodeId } from '../../src/core/node-id.js';
import type { BootstrapResult } from '../../src/dht/bootstrap.js';
import { createSimulation } from '../../src/sim/simulation.js';
import { seeded } from '../support/seed.js';
import { runChurn } from './churn-scenario.js';

/** Issue 11 churn stories on the simulated network (seeded, virtual time). */

const HARD_TIMEOUT_MS = 2_000; // DhtConfig.rpcTimeoutMs

test('with a quarter of the network crashed, every find succeeds without waiting for the dead', () => {
  seeded(111, (seed) => {
    // Given 40 nodes holding 6 pointers, when 10 of them crash and the rest run 30 finds
    const churn = runChurn({ seed, nodes: 40, killFraction: 0.25, pointers: 6, finds: 30 });
    // then every find returns its pointer, and none waits out a hard timeout.
    assert.equal(churn.killed.length, 10);
    assert.equal(churn.found, 30);
    const slowest = Math.max(...churn.findMs);
    assert.ok(slowest < HARD_TIMEOUT_MS, `slowest find took ${slowest} ms`);
    churn.sim.check();
  });
});

test('crashed nodes restarted together rejoin: every live peer answers and none gets a strike', () => {
  seeded(112, (seed) => {
    // Given 40 nodes of which 10 crashed, when 5 of them restart together on their logs
    const churn = runChurn({
      seed,
      nodes: 40,
      killFraction: 0.25,
      pointers: 2,
      finds: 0,
      restart: 5,
    });
    // then each one's restored live peers all answered its rejoin, it reports that number,
    // and no peer that was up got a strike from it.
    assert.equal(churn.rejoins.length, 5);
    for (const rejoin of churn.rejoins) {
      assert.equal(rejoin.answered, rejoin.live);
      assert.equal(rejoin.reported, rejoin.answered);
      assert.ok(rejoin.restored > rejoin.live, 'some restored peers are still down');
    }
    assert.equal(churn.strikesOnLive, 0);
    churn.sim.check();
  });
});

test('a rejoin pings the restored peers closest bucket first, at most 8 at a time', () => {
  seeded(113, (seed) => {
    const sim = createSimulation({ seed, nodes: 30 });
    sim.bootstrapAll();
    sim.runUntilIdle();
    // Given a node with a full table, when it restarts on its log and rejoins
    sim.stopNode(0, { crash: true });
    const restarted = sim.restartNode(0);
    const restored = restarted.node.state.routing.byId.size;
    const fromSeq = restarted.store.lastSeq;
    sim.node(0).rejoin([], () => undefined);
    sim.runUntilIdle();
    // then its pings go out closest bucket first with never more than 8 outstanding.
    const self = restarted.identity.id;
    const order: number[] = [];
    let outstanding = 0;
    let most = 0;
    for (const event of restarted.store.read({ afterSeq: fromSeq })) {
      if (event.type === 'rpc_sent' && event.data.op === 'ping') {
        outstanding++;
        most = Math.max(most, outstanding);
        order.push(bucketIndex(self, parseNodeId(event.peer!)!));
      }
      if (event.type === 'rpc_completed' && event.data.op === 'ping') outstanding--;
    }
    assert.equal(order.length, restored);
    assert.equal(most, Math.min(8, restored));
    assert.deepEqual(
      order,
      [...order].sort((a, b) => a - b),
    );
  });
});

test('a restarted node whose peers are all down strikes none of them', () => {
  seeded(114, (seed) => {
    const sim = createSimulation({ seed, nodes: 8 });
    sim.bootstrapAll();
    sim.runUntilIdle();
    // Given a node whose every peer is down when it restarts
    for (let i = 0; i < 8; i++) sim.stopNode(i, { crash: true });
    const restarted = sim.restartNode(0);
    const fromSeq = restarted.store.lastSeq;
    let result: BootstrapResult | undefined;
    // when its rejoin times out on all of them
    sim.node(0).rejoin([], (r) => (result = r));
    sim.runUntilIdle();
    // then it says none answered and no peer got a strike: it had no successful exchange yet.
    assert.equal(result?.restored, 7);
    assert.equal(result?.answered, 0);
    assert.deepEqual([...restarted.store.read({ type: 'peer_failed', afterSeq: fromSeq })], []);
    assert.equal(restarted.node.state.routing.byId.size, 7);
  });
});

test('a node that stops with RPCs in flight strikes none of their peers', () => {
  seeded(115, (seed) => {
    const sim = createSimulation({ seed, nodes: 8 });
    sim.bootstrapAll();
    sim.runUntilIdle();
    // Given a node that has exchanged with its peers and has a lookup's RPCs in flight
    const stopping = sim.node(0);
    const fromSeq = sim.nodes[0]!.store.lastSeq;
    stopping.lookup({ target: sim.node(5).identity.id, kind: 'node' }, () => undefined);
    sim.runFor(1);
    const inFlight = [...sim.nodes[0]!.store.read({ type: 'rpc_sent', afterSeq: fromSeq })];
    assert.ok(inFlight.length > 0, 'the lookup has RPCs in flight');
    // when it stops, and its transport fails them
    sim.stopNode(0);
    sim.runUntilIdle();
    // then they fail on our side and no peer gets a strike for it.
    const sent = [...sim.nodes[0]!.store.read({ type: 'rpc_sent', afterSeq: fromSeq })];
    const failed = [...sim.nodes[0]!.store.read({ type: 'rpc_completed', afterSeq: fromSeq })];
    assert.equal(failed.length, sent.length);
    assert.ok(
      failed.every((event) => event.type === 'rpc_completed' && event.data.outcome !== 'ok'),
    );
    assert.deepEqual([...sim.nodes[0]!.store.read({ type: 'peer_failed', afterSeq: fromSeq })], []);
  });
});

test('a rejoin pings again, once it has an answer, the restored peers that failed before it', () => {
  seeded(116, (seed) => {
    const sim = createSimulation({ seed, nodes: 30 });
    sim.bootstrapAll();
    sim.runUntilIdle();
    // Given a restarted node that cannot reach anyone for its first 6.5 s (still starting up;
    // a join's ping waits 6 s, three RPC timeouts)
    sim.stopNode(0, { crash: true });
    const restarted = sim.restartNode(0);
    const restored = restarted.node.state.routing.byId.size;
    const fromSeq = restarted.store.lastSeq;
    sim.network.isolate(restarted.addr);
    let result: BootstrapResult | undefined;
    sim.node(0).rejoin([], (r) => (result = r));
    // when it can again
    sim.runFor(6_500);
    sim.network.heal();
    sim.runUntilIdle();
    // then every restored peer answered in the end, those that failed early on their second
    // ping, and none of them got a strike.
    const failedPings = [
      ...restarted.store.read({ type: 'rpc_completed', afterSeq: fromSeq }),
    ].filter((event) => event.type === 'rpc_completed' && event.data.outcome !== 'ok').length;
    assert.ok(restored > 16, `${restored} restored peers: more than two waves of 8`);
    assert.equal(failedPings, 16, 'two waves of 8 failed while it was cut off');
    assert.equal(result?.restored, restored);
    assert.equal(result?.answered, restored);
    assert.deepEqual([...restarted.store.read({ type: 'peer_failed', afterSeq: fromSeq })], []);
  });
});

test('a rejoin ping that times out after the first answer is no strike either', () => {
  seeded(117, (seed) => {
    const sim = createSimulation({ seed, nodes: 30 });
    sim.bootstrapAll();
    sim.runUntilIdle();
    // Given a restarted node one of whose farthest restored peers is down
    sim.stopNode(0, { crash: true });
    const restarted = sim.restartNode(0);
    const restoredPeers = [...restarted.node.state.routing.byId.values()];
    const farthest = restoredPeers.at(-1)!;
    const down = sim.nodes.findIndex((n) => n.identity.idHex === farthest.peer.identity.idHex);
    sim.stopNode(down, { crash: true });
    const fromSeq = restarted.store.lastSeq;
    let result: BootstrapResult | undefined;
    // when its rejoin pings it after others answered
    sim.node(0).rejoin([], (r) => (result = r));
    sim.runUntilIdle();
    // then the ping timed out, every other peer answered, and nobody got a strike.
    const timedOut = [...restarted.store.read({ type: 'rpc_completed', afterSeq: fromSeq })].filter(
      (event) => event.type === 'rpc_completed' && event.data.outcome === 'timeout',
    );
    assert.equal(timedOut.length, 1);
    assert.equal(result?.answered, restoredPeers.length - 1);
    assert.deepEqual([...restarted.store.read({ type: 'peer_failed', afterSeq: fromSeq })], []);
  });
});
