import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bucketIndex, compareDistance } from '../../src/core/distance.js';
import { Caps, type PeerInfo } from '../../src/core/node-info.js';
import type { NodeId } from '../../src/core/node-id.js';
import { seededRandom } from '../../src/core/random.js';
import type { Response } from '../../src/net/messages.js';
import {
  lookupStep,
  MIN_GRACE_MS,
  openLookup,
  type LookupState,
} from '../../src/dht/lookup-machine.js';
import type {
  LookupGoal,
  LookupInput,
  LookupOutput,
  LookupResult,
} from '../../src/dht/lookup-values.js';
import type { LookupStep } from '../../src/dht/lookup-steps.js';
import { peerToWire, pointerToWire } from '../../src/dht/wire-peers.js';
import { added, given, identity, type Given } from './given.js';
import { signedPointer } from '../support/pointers.js';

/**
 * The lookup as a pure machine (SPEC §4.3), without a Simulation, a Transport or a clock:
 * given a routing table, when an input arrives (recorded as started, an answer, a failure, a
 * timer), then exactly these steps to record and these timers and queries, in this order.
 */

const SOFT_MS = 400;
const T0 = 1_000_000;
const random = seededRandom(2024);

/** `count` DHT peers on distinct /24s, closest to `target` first. */
function peersByDistance(target: NodeId, count: number): PeerInfo[] {
  const peers: PeerInfo[] = [];
  for (let i = 0; i < count; i++)
    peers.push({ identity: identity(), addr: `127.0.${i + 1}.1:4433`, caps: Caps.DHT });
  return peers.sort((a, b) => compareDistance(target, a.identity.id, b.identity.id));
}

/** A node (k 8, alpha 2) whose table holds `peers`. */
function nodeWith(peers: readonly PeerInfo[]): Given {
  const node = given({ k: 8, alpha: 2 });
  const self = node.view.identity.id;
  return node.fold(
    peers.map((p) => added(p, bucketIndex(self, p.identity.id))),
    T0 - 1000,
  );
}

class Scenario {
  readonly lookup: LookupState;
  readonly started: LookupStep;
  last: LookupOutput | null = null;

  constructor(node: Given, goal: LookupGoal) {
    const opened = openLookup(node.view, goal, T0);
    this.lookup = opened.lookup;
    this.started = opened.started;
  }

  when(input: LookupInput, atMs = T0): this {
    this.last = lookupStep(this.lookup, input, { nowMs: atMs, softTimeoutMs: SOFT_MS });
    return this;
  }

  /** Exactly these effects, in order, as readable tuples. */
  thenEffects(expected: readonly (readonly unknown[])[]): this {
    assert.deepEqual(this.output.effects.map(readable), expected);
    return this;
  }

  thenSteps(expected: readonly Partial<LookupStep>[]): this {
    assert.equal(this.output.steps.length, expected.length, 'number of steps');
    this.output.steps.forEach((step, i) => assert.deepEqual(pick(step, expected[i]!), expected[i]));
    return this;
  }

  /** The result the last input reported (a method: each call reads the latest output). */
  done(): LookupResult | null {
    return this.output.done;
  }

  get output(): LookupOutput {
    assert.ok(this.last !== null, 'then() without when()');
    return this.last;
  }
}

function readable(effect: LookupOutput['effects'][number]): readonly unknown[] {
  switch (effect.type) {
    case 'arm':
      return ['arm', effect.timer, effect.afterMs];
    case 'cancel':
      return ['cancel', effect.timer];
    case 'send':
      return ['send', effect.tag, effect.peer.identity.idHex, effect.request.op];
  }
}

/** The fields of `step` that `expected` names. */
function pick(step: LookupStep, expected: object): object {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(expected))
    out[key] = (step as unknown as Record<string, unknown>)[key];
  return out;
}

const hex = (p: PeerInfo): string => p.identity.idHex;
const nodes = (...peers: PeerInfo[]): Response => ({ op: 'nodes', nodes: peers.map(peerToWire) });

test('given a table of peers, when a lookup opens, then its started step lists them closest first as seeds, leaving out ourselves and non-DHT peers', () => {
  const target = random.bytes(20);
  const [a, b, c] = peersByDistance(target, 3);
  const node = nodeWith([c!, a!, b!]);
  const client: PeerInfo = { identity: identity(), addr: '127.0.9.1:4433', caps: 0 };
  const self: PeerInfo = { identity: node.view.identity, addr: '127.0.8.1:4433', caps: Caps.DHT };
  const scenario = new Scenario(node, { target, kind: 'node', seeds: [client, self] });
  assert.deepEqual(scenario.started, {
    type: 'started',
    lookupId: 0,
    at: T0,
    target: Buffer.from(target).toString('hex'),
    kind: 'node',
    seeds: [hex(a!), hex(b!), hex(c!)],
    seedAddrs: [a!.addr, b!.addr, c!.addr],
  });
});

test('given three peers, when the lookup is recorded as started, then it arms its deadline and sends find_node to the alpha closest, each after arming its soft timeout', () => {
  const target = random.bytes(20);
  const [a, b, c] = peersByDistance(target, 3);
  new Scenario(nodeWith([a!, b!, c!]), { target, kind: 'node' })
    .when({ type: 'started', lookupId: 7 })
    .thenSteps([])
    .thenEffects([
      ['arm', 'deadline', 10_000],
      ['arm', 1, SOFT_MS],
      ['send', 1, hex(a!), 'find_node'],
      ['arm', 2, SOFT_MS],
      ['send', 2, hex(b!), 'find_node'],
    ]);
});

test('given two queries in flight, when the first answers with a closer peer, then its step lists it and that peer (hop 2) is queried next', () => {
  const target = random.bytes(20);
  const [a, b, c, d] = peersByDistance(target, 4);
  new Scenario(nodeWith([a!, c!, d!]), { target, kind: 'node' })
    .when({ type: 'started', lookupId: 7 })
    .when({ type: 'answered', tag: 1, response: nodes(b!), latencyMs: 30 }, T0 + 30)
    .thenSteps([
      {
        type: 'step',
        lookupId: 7,
        at: T0 + 30,
        peer: hex(a!),
        hop: 1,
        outcome: 'ok',
        latencyMs: 30,
        returned: [hex(b!)],
        returnedAddrs: [b!.addr],
        pointers: 0,
      },
    ])
    .thenEffects([
      ['cancel', 1],
      ['arm', 3, SOFT_MS],
      ['send', 3, hex(b!), 'find_node'],
    ]);
});

test('given a query in flight, when its soft timeout fires, then a slow step records the soft timeout used and the next peer is queried', () => {
  const target = random.bytes(20);
  const [a, b, c] = peersByDistance(target, 3);
  const scenario = new Scenario(nodeWith([a!, b!, c!]), { target, kind: 'node' })
    .when({ type: 'started', lookupId: 7 })
    .when({ type: 'timer', timer: 2 }, T0 + SOFT_MS)
    .thenSteps([{ type: 'step', peer: hex(b!), outcome: 'slow', latencyMs: SOFT_MS, returned: [] }])
    .thenEffects([
      ['arm', 3, SOFT_MS],
      ['send', 3, hex(c!), 'find_node'],
    ]);
  // Its late answer still settles it, and cancels nothing more than its own soft timeout.
  scenario
    .when({ type: 'answered', tag: 2, response: nodes(), latencyMs: 900 }, T0 + 900)
    .thenSteps([{ peer: hex(b!), outcome: 'ok', latencyMs: 900 }])
    .thenEffects([['cancel', 2]]);
});

test('given a query in flight, when it fails, then a failed step and the peer leaves the window for the next one', () => {
  const target = random.bytes(20);
  const [a, b, c] = peersByDistance(target, 3);
  new Scenario(nodeWith([a!, b!, c!]), { target, kind: 'node' })
    .when({ type: 'started', lookupId: 7 })
    .when({ type: 'failed', tag: 1, outcome: 'timeout', latencyMs: 2000 }, T0 + 2000)
    .thenSteps([{ peer: hex(a!), outcome: 'timeout', latencyMs: 2000, returned: [] }])
    .thenEffects([
      ['cancel', 1],
      ['arm', 3, SOFT_MS],
      ['send', 3, hex(c!), 'find_node'],
    ]);
});

test('given two peers, when both answer, then the lookup finishes converged with both closest first and cancels its deadline', () => {
  const target = random.bytes(20);
  const [a, b] = peersByDistance(target, 2);
  const scenario = new Scenario(nodeWith([a!, b!]), { target, kind: 'node' })
    .when({ type: 'started', lookupId: 7 })
    .when({ type: 'answered', tag: 2, response: nodes(a!), latencyMs: 20 }, T0 + 20)
    .thenSteps([{ peer: hex(b!), outcome: 'ok', returned: [hex(a!)] }])
    .thenEffects([['cancel', 2]]);
  assert.equal(scenario.done(), null);
  scenario
    .when({ type: 'answered', tag: 1, response: nodes(), latencyMs: 50 }, T0 + 50)
    .thenSteps([
      { type: 'step', peer: hex(a!), outcome: 'ok' },
      {
        type: 'finished',
        lookupId: 7,
        at: T0 + 50,
        result: [hex(a!), hex(b!)],
        pointers: 0,
        hops: 1,
        rpcs: 2,
        durationMs: 50,
        reason: 'converged',
      },
    ])
    .thenEffects([
      ['cancel', 1],
      ['cancel', 'deadline'],
    ]);
  const done = scenario.done();
  assert.ok(done !== null, 'the lookup is over');
  assert.deepEqual(
    { ...done, closest: done.closest.map((p) => p.identity.idHex) },
    {
      id: 7,
      closest: [hex(a!), hex(b!)],
      pointers: [],
      hops: 1,
      rpcs: 2,
      durationMs: 50,
      reason: 'converged',
    },
  );
});

test('given queries in flight, when the deadline fires, then the lookup finishes with what answered, and a late answer only cancels its soft timeout', () => {
  const target = random.bytes(20);
  const [a, b] = peersByDistance(target, 2);
  const scenario = new Scenario(nodeWith([a!, b!]), { target, kind: 'node' })
    .when({ type: 'started', lookupId: 7 })
    .when({ type: 'answered', tag: 2, response: nodes(), latencyMs: 20 }, T0 + 20)
    .when({ type: 'timer', timer: 'deadline' }, T0 + 10_000)
    .thenSteps([
      { type: 'finished', result: [hex(b!)], rpcs: 2, durationMs: 10_000, reason: 'deadline' },
    ])
    .thenEffects([['cancel', 'deadline']]);
  assert.equal(scenario.done()?.reason, 'deadline');
  scenario
    .when({ type: 'answered', tag: 1, response: nodes(), latencyMs: 10_500 }, T0 + 10_500)
    .thenSteps([])
    .thenEffects([['cancel', 1]]);
  assert.equal(scenario.done(), null);
  scenario
    .when({ type: 'timer', timer: 'deadline' }, T0 + 11_000)
    .thenSteps([])
    .thenEffects([]);
});

test('given no peer at all, when the lookup is recorded as started, then it finishes exhausted at once', () => {
  const scenario = new Scenario(nodeWith([]), { target: random.bytes(20), kind: 'refresh' })
    .when({ type: 'started', lookupId: 3 })
    .thenSteps([{ type: 'finished', result: [], rpcs: 0, durationMs: 0, reason: 'exhausted' }])
    .thenEffects([
      ['arm', 'deadline', 10_000],
      ['cancel', 'deadline'],
    ]);
  assert.equal(scenario.done()?.reason, 'exhausted');
});

test('given a find_value, when an answer holds a valid pointer, then no more peers are queried and it finishes found once the queries in flight are back', () => {
  const pointer = signedPointer({ tessera: 5, nowMs: T0 });
  const [a, b, c] = peersByDistance(pointer.key, 3);
  const value: Response = {
    op: 'value',
    nodes: [peerToWire(c!)],
    pointers: [pointerToWire(pointer)],
    more: false,
  };
  const scenario = new Scenario(nodeWith([a!, b!, c!]), { target: pointer.key, kind: 'value' })
    .when({ type: 'started', lookupId: 9 })
    .thenEffects([
      ['arm', 'deadline', 10_000],
      ['arm', 1, SOFT_MS],
      ['send', 1, hex(a!), 'find_value'],
      ['arm', 2, SOFT_MS],
      ['send', 2, hex(b!), 'find_value'],
    ])
    .when({ type: 'answered', tag: 1, response: value, latencyMs: 10 }, T0 + 10)
    .thenSteps([{ peer: hex(a!), outcome: 'ok', returned: [hex(c!)], pointers: 1 }])
    .thenEffects([
      ['cancel', 1],
      ['cancel', 2],
      ['arm', 2, MIN_GRACE_MS],
    ]);
  scenario.when({ type: 'answered', tag: 2, response: value, latencyMs: 40 }, T0 + 40).thenSteps([
    { peer: hex(b!), pointers: 1 },
    { type: 'finished', pointers: 1, rpcs: 2, reason: 'found' },
  ]);
  assert.deepEqual(scenario.done()?.pointers, [pointer]);
});

/** A signed pointer, an answer holding it and no peers, and two peers closest to its key. */
function valueOnly(tessera: number): {
  pointer: ReturnType<typeof signedPointer>;
  value: Response;
  peers: PeerInfo[];
} {
  const pointer = signedPointer({ tessera, nowMs: T0 });
  const value: Response = {
    op: 'value',
    nodes: [],
    pointers: [pointerToWire(pointer)],
    more: false,
  };
  return { pointer, value, peers: peersByDistance(pointer.key, 2) };
}

test('given a find_value with its value, when a query in flight has not answered within the grace, then it is passed over and the find finishes found', () => {
  const { pointer, value, peers } = valueOnly(6);
  const [a, b] = peers;
  // Given a find whose first answer, after 40 ms, holds the value while b is still asked
  const scenario = new Scenario(nodeWith([a!, b!]), { target: pointer.key, kind: 'value' })
    .when({ type: 'started', lookupId: 4 })
    .when({ type: 'answered', tag: 1, response: value, latencyMs: 40 }, T0 + 40)
    // then b gets twice that round trip, not the rest of its 400 ms soft timeout
    .thenEffects([
      ['cancel', 1],
      ['cancel', 2],
      ['arm', 2, 80],
    ]);
  // when the grace passes without its answer
  scenario.when({ type: 'timer', timer: 2 }, T0 + 120).thenSteps([
    { peer: hex(b!), outcome: 'slow', latencyMs: 120 },
    { type: 'finished', pointers: 1, rpcs: 2, durationMs: 120, reason: 'found' },
  ]);
  assert.deepEqual(scenario.done()?.pointers, [pointer]);
});

test('given a find --all, when an answer holds the value, then the queries in flight keep their soft timeouts', () => {
  const { pointer, value, peers } = valueOnly(7);
  const [a, b] = peers;
  new Scenario(nodeWith([a!, b!]), { target: pointer.key, kind: 'value', all: true })
    .when({ type: 'started', lookupId: 5 })
    .when({ type: 'answered', tag: 1, response: value, latencyMs: 40 }, T0 + 40)
    .thenEffects([['cancel', 1]]);
});
