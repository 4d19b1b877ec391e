import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Caps } from '../../src/core/node-info.js';
import type { DhtNode } from '../../src/dht/dht-node.js';
import { NAT_MAPPING_WINDOW_MS } from '../../src/dht/reachability-evidence.js';
import { sendRpc } from '../../src/dht/rpc-client.js';
import type { StoredEvent } from '../../src/events/event-types.js';
import { createSimulation, type SimNode } from '../../src/sim/simulation.js';
import { seeded } from '../support/seed.js';

/**
 * Passive reachability evidence on the SimNetwork (issue 15): a node in auto mode at a public
 * address becomes a DHT server when a host it had no traffic with sends it a request, and not
 * while that host may be passing through a NAT mapping the node opened. (The sim has no NAT:
 * what a NAT would let through is what the rule must not trust; the test bed in test/netbed/
 * runs the real thing.)
 */

const LATENCY_MS = 10;
const HOUR_MS = 3_600_000;

function story(seed: number) {
  const sim = createSimulation({ seed, latencyMs: { min: LATENCY_MS, max: LATENCY_MS } });
  // Checks run, but their periodic rounds are out of the way: the story sends every request.
  const auto = {
    reachabilityMode: 'auto',
    reachabilityChecks: true,
    reachabilityRetryMs: HOUR_MS,
    reachabilityRecheckMs: HOUR_MS,
  } as const;
  const a = sim.addNode({ addr: '198.18.1.1:4433', config: auto });
  const b = sim.addNode({ addr: '198.18.2.1:4433', config: { reachabilityMode: 'server' } });
  return { sim, a, b };
}

function ping(from: SimNode, to: SimNode): void {
  sendRpc(from.node, { identity: null, addr: to.addr }, { op: 'ping' }, null, () => undefined);
}

function events(node: SimNode, type: StoredEvent['type']): StoredEvent[] {
  return [...node.store.read({ type })];
}

function lastAt(node: SimNode, type: StoredEvent['type']): number {
  return events(node, type).at(-1)!.at;
}

const servesDht = (node: DhtNode): boolean => (node.self.caps & Caps.DHT) !== 0;

test("given a public node in auto mode, when a stranger bootstraps through it, then it is reachable, serves the DHT and enters the stranger's table", () => {
  seeded(1501, (seed) => {
    const { sim, a, b } = story(seed);
    assert.equal(a.node.reach.status, 'unknown');
    assert.equal(servesDht(a.node), false);
    b.node.bootstrap([{ addr: a.addr, idHex: a.identity.idHex }], () => undefined);
    sim.runFor(1_000);
    assert.deepEqual(
      events(a, 'reachability_changed').map((e) => e.data),
      [
        {
          status: 'reachable',
          previous: 'unknown',
          addr: '198.18.1.1:4433',
          mode: 'auto',
          caps: Caps.DHT | Caps.STORAGE,
          reason: 'unsolicited ping from 198.18.2.1:4433',
        },
      ],
    );
    assert.equal(servesDht(a.node), true);
    assert.ok(b.node.state.routing.byId.has(a.identity.idHex), 'the stranger holds it now');
  });
});

test('given a node that sent a host a request, when that host sends requests, then none proves anything until six minutes pass without traffic', () => {
  seeded(1502, (seed) => {
    const { sim, a, b } = story(seed);
    ping(a, b);
    sim.runFor(1_000);
    const contactedAt = lastAt(a, 'rpc_sent');
    // Five minutes later: inside the window; and this request keeps a mapping alive too.
    sim.runFor(contactedAt + 5 * 60_000 - sim.timers.now());
    ping(b, a);
    sim.runFor(1_000);
    assert.equal(a.node.reach.status, 'unknown');
    const lastTrafficAt = lastAt(a, 'rpc_received');
    // One request arriving just inside the window after that traffic, one just past it.
    sim.runFor(lastTrafficAt + NAT_MAPPING_WINDOW_MS - LATENCY_MS - 1 - sim.timers.now());
    ping(b, a);
    sim.runFor(1_000);
    assert.equal(lastAt(a, 'rpc_received'), lastTrafficAt + NAT_MAPPING_WINDOW_MS - 1);
    assert.equal(a.node.reach.status, 'unknown', 'one millisecond inside the window');
    const insideAt = lastAt(a, 'rpc_received');
    sim.runFor(insideAt + NAT_MAPPING_WINDOW_MS - LATENCY_MS - sim.timers.now());
    ping(b, a);
    sim.runFor(1_000);
    assert.equal(lastAt(a, 'rpc_received'), insideAt + NAT_MAPPING_WINDOW_MS);
    assert.equal(a.node.reach.status, 'reachable', 'exactly the window after the last traffic');
    assert.equal(a.node.reach.reason, 'unsolicited ping from 198.18.2.1:4433');
  });
});

test('given a node whose checks are off (a server on loopback), when strangers send requests, then its status does not move', () => {
  seeded(1503, (seed) => {
    const sim = createSimulation({ seed });
    const a = sim.addNode({ config: { reachabilityMode: 'server' } });
    const b = sim.addNode();
    ping(b, a);
    sim.runFor(1_000);
    assert.equal(a.node.reach.status, 'unknown');
    assert.deepEqual(events(a, 'reachability_changed'), []);
  });
});

test('given a newcomer joining through seeds that agree on its address, when it bootstraps, then its first check round waits until every seed has had its first request', () => {
  seeded(1504, (seed) => {
    const sim = createSimulation({ seed, latencyMs: { min: LATENCY_MS, max: LATENCY_MS } });
    const checks = { reachabilityMode: 'auto', reachabilityChecks: true } as const;
    const s = sim.addNode({ addr: '198.18.1.1:4433', config: { reachabilityMode: 'server' } });
    // A public node that has not been proven yet: the newcomer's first ping is its proof.
    const p = sim.addNode({ addr: '198.18.2.1:4433', config: checks });
    const n = sim.addNode({ addr: '198.18.3.1:4433', config: checks });
    p.node.bootstrap([{ addr: s.addr }], () => undefined);
    sim.runFor(1_000);
    const seeds = [s, p].map((seedNode) => ({ addr: seedNode.addr }));
    n.node.bootstrap(seeds, () => undefined);
    sim.runFor(10_000);
    const seqOf = (type: StoredEvent['type'], op?: string): number =>
      events(n, type).find((e) => op === undefined || (e.data as { op?: string }).op === op)!.seq;
    assert.ok(n.node.reach.observed.agreed !== null, 'the seeds agreed while it joined');
    assert.ok(
      seqOf('rpc_sent', 'dial_back') > seqOf('bootstrap_finished'),
      'no dial_back before the bootstrap finished',
    );
    assert.equal(p.node.reach.status, 'reachable');
    assert.equal(p.node.reach.reason, 'unsolicited ping from 198.18.3.1:4433');
  });
});

test('given a node that reached every host first, when its check round brings only their probes, then it stays unknown and its reason says why', () => {
  seeded(1506, (seed) => {
    const sim = createSimulation({ seed, latencyMs: { min: LATENCY_MS, max: LATENCY_MS } });
    const servers = ['198.18.1.1:4433', '198.18.2.1:4433', '198.18.3.1:4433'].map((addr) =>
      sim.addNode({ addr, config: { reachabilityMode: 'server' } }),
    );
    for (const s of servers.slice(1))
      s.node.bootstrap([{ addr: servers[0]!.addr }], () => undefined);
    sim.runFor(5_000);
    const checks = { reachabilityMode: 'auto', reachabilityChecks: true } as const;
    const a = sim.addNode({ addr: '198.18.9.1:4433', config: checks });
    a.node.bootstrap(
      servers.map((s) => ({ addr: s.addr })),
      () => undefined,
    );
    sim.runFor(15_000);
    assert.ok(events(a, 'rpc_sent').some((e) => (e.data as { op: string }).op === 'dial_back'));
    assert.equal(a.node.reach.status, 'unknown');
    assert.match(
      a.node.reach.reason,
      /^checked: (1 probe|\d+ probes) arrived, only from hosts we had traffic with \(no proof\); the next check waits for a host quiet for 6 min$/,
    );
  });
});

test('given a public node in a network of three other hosts, all of which it reached first, when its checks go on, then the round after one that proved nothing waits for a host to be quiet for the mapping window, asks the two others, and the quiet one probes it', () => {
  seeded(1507, (seed) => {
    const sim = createSimulation({ seed, latencyMs: { min: LATENCY_MS, max: LATENCY_MS } });
    const servers = ['198.18.1.1:4433', '198.18.2.1:4433', '198.18.3.1:4433'].map((addr) =>
      sim.addNode({ addr, config: { reachabilityMode: 'server' } }),
    );
    for (const s of servers.slice(1))
      s.node.bootstrap([{ addr: servers[0]!.addr }], () => undefined);
    sim.runFor(5_000);
    const checks = { reachabilityMode: 'auto', reachabilityChecks: true } as const;
    const a = sim.addNode({ addr: '198.18.9.1:4433', config: checks });
    const joinAt = sim.timers.now();
    a.node.bootstrap(
      servers.map((s) => ({ addr: s.addr })),
      () => undefined,
    );
    sim.runFor(60 * 60_000);
    const [changed] = events(a, 'reachability_changed');
    // The rounds until it was reachable (its rechecks every 10 min go on after).
    const rounds = new Map<number, string[]>();
    for (const e of events(a, 'rpc_sent')) {
      const { op, addr } = e.data as { op: string; addr: string };
      if (op === 'dial_back' && e.at < changed!.at)
        rounds.set(e.at, [...(rounds.get(e.at) ?? []), addr]);
    }
    const starts = [...rounds.keys()];
    assert.deepEqual(
      [...rounds.values()].map((asked) => asked.length),
      [3, 2],
      'the first round asks every host; the next ones leave one out',
    );
    // The first round right after the join; the next at the first 20 s tick at which the
    // hosts the first one contacted have been quiet for the mapping window.
    assert.deepEqual(
      starts.map((at) => at - joinAt),
      [60, 380_000],
    );
    assert.ok(starts[1]! - starts[0]! >= NAT_MAPPING_WINDOW_MS);
    assert.equal(changed!.at, starts.at(-1)! + 3 * LATENCY_MS);
    assert.equal(a.node.reach.status, 'reachable');
    const leftOut = servers
      .map((s) => s.addr)
      .filter((addr) => !rounds.get(starts[1]!)!.includes(addr));
    assert.equal(leftOut.length, 1);
    // Each round's record: the first saw only probes from hosts it had just contacted.
    assert.deepEqual(
      events(a, 'reachability_checked')
        .slice(0, 2)
        .map((e) => e.data),
      [
        {
          asked: 3,
          forwarded: 3,
          counted: [],
          inconclusive: 3,
          outcome: 'inconclusive',
          silent_rounds: 0,
        },
        {
          asked: 2,
          forwarded: 2,
          counted: [leftOut[0]],
          inconclusive: 1,
          outcome: 'reachable',
          silent_rounds: 0,
        },
      ],
    );
    // The round's probe is judged as any request is, and that makes the change at once.
    assert.equal(
      (changed!.data as { reason: string }).reason,
      `unsolicited probe from ${leftOut[0]}`,
    );
  });
});
