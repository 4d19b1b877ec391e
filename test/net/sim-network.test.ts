import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TesdError } from '../../src/core/errors.js';
import { seededRandom } from '../../src/core/random.js';
import { SimNetwork, type SimTransport } from '../../src/net/sim-network.js';
import type { RemotePeer, SendOutcome } from '../../src/net/transport.js';
import { VirtualTimers } from '../../src/net/virtual-timers.js';

const TIMEOUT_MS = 2_000;

function pk(byte: number): Uint8Array {
  return new Uint8Array(32).fill(byte);
}

function createNetwork(seed: number, options: { lossRate?: number } = {}) {
  const timers = new VirtualTimers(0);
  const network = new SimNetwork({
    timers,
    random: seededRandom(seed),
    latencyMs: { min: 5, max: 50 },
    ...options,
  });
  return { timers, network };
}

/** A node that answers each request with its own address followed by the request bytes. */
function echoNode(network: SimNetwork, addr: string, certPk: Uint8Array): SimTransport {
  const transport = network.attach(addr, certPk);
  const tag = new TextEncoder().encode(addr);
  transport.listen((input, _remote, reply) => {
    assert.ok(input instanceof Uint8Array);
    const frame = new Uint8Array(tag.length + input.length);
    frame.set(tag);
    frame.set(input, tag.length);
    reply(frame);
  });
  return transport;
}

/** Sends one request and records every `done` call with the virtual time it happened at. */
function send(timers: VirtualTimers, from: SimTransport, to: string, frame = new Uint8Array([1])) {
  const calls: { outcome: SendOutcome; atMs: number }[] = [];
  const sentAtMs = timers.now();
  from.request(to, frame, TIMEOUT_MS, (outcome) => calls.push({ outcome, atMs: timers.now() }));
  return {
    calls,
    sentAtMs,
    only(): { outcome: SendOutcome; atMs: number } {
      assert.equal(calls.length, 1, 'done is called exactly once');
      return calls[0]!;
    },
  };
}

function assertTimeout(call: { outcome: SendOutcome; atMs: number }, sentAtMs: number): void {
  assert.equal(call.outcome.ok, false);
  assert.equal(!call.outcome.ok && call.outcome.failure, 'timeout');
  assert.equal(call.atMs - sentAtMs, TIMEOUT_MS);
}

describe('SimNetwork', () => {
  it('delivers a request and its reply with latencies in bounds and the right remotes', () => {
    const { timers, network } = createNetwork(1);
    const client = network.attach('10.0.0.1:4433', pk(1));
    const server = network.attach('10.0.0.2:4433', pk(2));
    const seen: { remote: RemotePeer; atMs: number; input: Uint8Array }[] = [];
    server.listen((input, remote, reply) => {
      assert.ok(input instanceof Uint8Array);
      seen.push({ remote, atMs: timers.now(), input });
      reply(new Uint8Array([9, 9]));
    });
    const frame = new Uint8Array([1, 2, 3]);
    const rpc = send(timers, client, '10.0.0.2:4433', frame);
    frame[0] = 7; // the network copied the frame: later changes by the sender do not leak
    timers.runUntilIdle();

    assert.equal(seen.length, 1);
    const arrival = seen[0]!;
    assert.deepEqual(arrival.input, new Uint8Array([1, 2, 3]));
    assert.equal(arrival.remote.addr, '10.0.0.1:4433');
    assert.deepEqual(arrival.remote.certPk, pk(1));
    const requestLatencyMs = arrival.atMs - rpc.sentAtMs;
    assert.ok(requestLatencyMs >= 5 && requestLatencyMs <= 50, `latency ${requestLatencyMs}`);

    const { outcome, atMs } = rpc.only();
    assert.ok(outcome.ok);
    assert.deepEqual(outcome.frame, new Uint8Array([9, 9]));
    assert.equal(outcome.remote.addr, '10.0.0.2:4433');
    assert.deepEqual(outcome.remote.certPk, pk(2));
    const replyLatencyMs = atMs - arrival.atMs;
    assert.ok(replyLatencyMs >= 5 && replyLatencyMs <= 50, `latency ${replyLatencyMs}`);
    assert.deepEqual(network.stats, { messages: 2, bytes: 5, dropped: 0 });
  });

  it('presents the certPk given at attach, even if it differs from the claimed identity', () => {
    const { timers, network } = createNetwork(2);
    const impostor = network.attach('10.0.0.1:4433', pk(0xee));
    const remotes: RemotePeer[] = [];
    network.attach('10.0.0.2:4433', pk(2)).listen((_input, remote, reply) => {
      remotes.push(remote);
      reply(null);
    });
    send(timers, impostor, '10.0.0.2:4433');
    timers.runUntilIdle();
    assert.deepEqual(remotes[0]?.certPk, pk(0xee));
  });

  it('hands the sender buffers over as they are when copyFrames is off', () => {
    const timers = new VirtualTimers(0);
    const network = new SimNetwork({ timers, random: seededRandom(15), copyFrames: false });
    const client = network.attach('10.0.0.1:4433', pk(1));
    const request = new Uint8Array([1]);
    const response = new Uint8Array([2]);
    let received: Uint8Array | undefined;
    network.attach('10.0.0.2:4433', pk(2)).listen((input, _remote, reply) => {
      assert.ok(input instanceof Uint8Array);
      received = input;
      reply(response);
    });
    const rpc = send(timers, client, '10.0.0.2:4433', request);
    timers.runUntilIdle();
    assert.equal(received, request);
    const { outcome } = rpc.only();
    assert.equal(outcome.ok && outcome.frame, response);
  });

  it('refuses to attach two transports at one address', () => {
    const { network } = createNetwork(3);
    network.attach('10.0.0.1:4433', pk(1));
    assert.throws(() => network.attach('10.0.0.1:4433', pk(2)), TesdError);
  });

  it('times out when nobody listens at the address', () => {
    const { timers, network } = createNetwork(4);
    const client = network.attach('10.0.0.1:4433', pk(1));
    network.attach('10.0.0.3:4433', pk(3)); // attached but never calls listen()
    const nobody = send(timers, client, '10.0.0.2:4433');
    const deaf = send(timers, client, '10.0.0.3:4433');
    timers.runUntilIdle();
    assertTimeout(nobody.only(), nobody.sentAtMs);
    assertTimeout(deaf.only(), deaf.sentAtMs);
    assert.equal(network.stats.dropped, 2);
  });

  it('times out when the handler replies null', () => {
    const { timers, network } = createNetwork(5);
    const client = network.attach('10.0.0.1:4433', pk(1));
    network.attach('10.0.0.2:4433', pk(2)).listen((_input, _remote, reply) => reply(null));
    const rpc = send(timers, client, '10.0.0.2:4433');
    timers.runUntilIdle();
    assertTimeout(rpc.only(), rpc.sentAtMs);
  });

  it('times out while a node is down and answers again once it is back up', () => {
    const { timers, network } = createNetwork(6);
    const client = echoNode(network, '10.0.0.1:4433', pk(1));
    echoNode(network, '10.0.0.2:4433', pk(2));
    network.setDown('10.0.0.2:4433', true);
    assert.equal(network.isDown('10.0.0.2:4433'), true);
    const whileDown = send(timers, client, '10.0.0.2:4433');
    timers.runUntilIdle();
    assertTimeout(whileDown.only(), whileDown.sentAtMs);

    network.setDown('10.0.0.2:4433', false);
    const afterUp = send(timers, client, '10.0.0.2:4433');
    timers.runUntilIdle();
    assert.equal(afterUp.only().outcome.ok, true);
  });

  it('a down node sends nothing either', () => {
    const { timers, network } = createNetwork(7);
    const client = echoNode(network, '10.0.0.1:4433', pk(1));
    echoNode(network, '10.0.0.2:4433', pk(2));
    network.setDown('10.0.0.1:4433', true);
    const rpc = send(timers, client, '10.0.0.2:4433');
    timers.runUntilIdle();
    assertTimeout(rpc.only(), rpc.sentAtMs);
  });

  it('cuts traffic both ways across a partition, not within a group, until heal()', () => {
    const { timers, network } = createNetwork(8);
    const [a1, a2, b1, b2] = ['10.0.0.1:1', '10.0.0.2:1', '10.0.0.3:1', '10.0.0.4:1'].map(
      (addr, i) => echoNode(network, addr, pk(i + 1)),
    ) as [SimTransport, SimTransport, SimTransport, SimTransport];
    network.partition([a1.localAddr, a2.localAddr], [b1.localAddr, b2.localAddr]);
    const across = send(timers, a1, b1.localAddr);
    const back = send(timers, b2, a2.localAddr);
    const within = send(timers, a1, a2.localAddr);
    timers.runUntilIdle();
    assertTimeout(across.only(), across.sentAtMs);
    assertTimeout(back.only(), back.sentAtMs);
    assert.equal(within.only().outcome.ok, true);

    network.heal();
    const healed = send(timers, a1, b1.localAddr);
    timers.runUntilIdle();
    assert.equal(healed.only().outcome.ok, true);
  });

  it('an isolated node reaches nobody and nobody reaches it, until heal()', () => {
    const { timers, network } = createNetwork(9);
    const a = echoNode(network, '10.0.0.1:1', pk(1));
    const b = echoNode(network, '10.0.0.2:1', pk(2));
    const c = echoNode(network, '10.0.0.3:1', pk(3));
    network.isolate(b.localAddr);
    const out = send(timers, b, c.localAddr);
    const into = send(timers, a, b.localAddr);
    const others = send(timers, a, c.localAddr);
    timers.runUntilIdle();
    assertTimeout(out.only(), out.sentAtMs);
    assertTimeout(into.only(), into.sentAtMs);
    assert.equal(others.only().outcome.ok, true);

    network.heal();
    const healed = send(timers, a, b.localAddr);
    timers.runUntilIdle();
    assert.equal(healed.only().outcome.ok, true);
  });

  it('drops a frame whose link is cut while it is in flight', () => {
    const { timers, network } = createNetwork(10);
    const a = echoNode(network, '10.0.0.1:1', pk(1));
    const b = echoNode(network, '10.0.0.2:1', pk(2));
    const rpc = send(timers, a, b.localAddr);
    network.isolate(b.localAddr); // after the send, before the arrival
    timers.runUntilIdle();
    assertTimeout(rpc.only(), rpc.sentAtMs);
  });

  it('drops a reply that arrives after the timeout: done is called once', () => {
    const { timers, network } = createNetwork(11);
    const client = network.attach('10.0.0.1:1', pk(1));
    network.attach('10.0.0.2:1', pk(2)).listen((_input, _remote, reply) => {
      timers.setTimer(TIMEOUT_MS * 2, () => reply(new Uint8Array([1])));
    });
    const rpc = send(timers, client, '10.0.0.2:1');
    timers.runUntilIdle();
    assertTimeout(rpc.only(), rpc.sentAtMs);
    assert.equal(network.stats.messages, 2);
    assert.equal(network.stats.dropped, 1);
  });

  it('treats a second reply to one request as a programmer error', () => {
    const { timers, network } = createNetwork(12);
    const client = network.attach('10.0.0.1:1', pk(1));
    network.attach('10.0.0.2:1', pk(2)).listen((_input, _remote, reply) => {
      reply(new Uint8Array([1]));
      reply(new Uint8Array([2]));
    });
    send(timers, client, '10.0.0.2:1');
    assert.throws(() => timers.runUntilIdle(), TesdError);
  });

  it('detach: requests to the node time out, its own pending requests fail as closed', () => {
    const { timers, network } = createNetwork(13);
    const a = echoNode(network, '10.0.0.1:1', pk(1));
    const b = echoNode(network, '10.0.0.2:1', pk(2));
    const pending = send(timers, b, a.localAddr);
    void b.close(); // same as network.detach(b.localAddr)
    assert.equal(pending.calls.length, 0, 'done is never called synchronously');
    const toGone = send(timers, a, b.localAddr);
    const fromClosed = send(timers, b, a.localAddr);
    timers.runUntilIdle();

    const closed = pending.only();
    assert.equal(!closed.outcome.ok && closed.outcome.failure, 'closed');
    assert.equal(closed.atMs, pending.sentAtMs);
    assertTimeout(toGone.only(), toGone.sentAtMs);
    const refused = fromClosed.only();
    assert.equal(!refused.outcome.ok && refused.outcome.failure, 'closed');

    // The address is free again: a restarted node can take it.
    echoNode(network, b.localAddr, pk(2));
    const restarted = send(timers, a, b.localAddr);
    timers.runUntilIdle();
    assert.equal(restarted.only().outcome.ok, true);
  });

  it('loses about lossRate of frames over many requests', () => {
    const { timers, network } = createNetwork(14, { lossRate: 0.2 });
    const a = echoNode(network, '10.0.0.1:1', pk(1));
    echoNode(network, '10.0.0.2:1', pk(2));
    const rpcs = [];
    for (let i = 0; i < 5_000; i++) rpcs.push(send(timers, a, '10.0.0.2:1'));
    timers.runUntilIdle();
    const { messages, dropped } = network.stats;
    const lossRatio = dropped / messages;
    assert.ok(Math.abs(lossRatio - 0.2) < 0.02, `lost ${dropped} of ${messages}`);
    // A request succeeds when neither frame is lost: 0.8 * 0.8 = 0.64.
    const succeeded = rpcs.filter((rpc) => rpc.only().outcome.ok).length / rpcs.length;
    assert.ok(Math.abs(succeeded - 0.64) < 0.03, `succeeded ${succeeded}`);
  });

  it('replays identically from the same seed and differs with another', () => {
    const trace = (seed: number): string[] => {
      const { timers, network } = createNetwork(seed, { lossRate: 0.1 });
      const log: string[] = [];
      const nodes: SimTransport[] = [];
      for (let i = 0; i < 8; i++) {
        const node = network.attach(`10.0.0.${i}:1`, pk(i));
        node.listen((input, remote, reply) => {
          assert.ok(input instanceof Uint8Array);
          log.push(`${timers.now()} ${node.localAddr} <- ${remote.addr} [${input.join(',')}]`);
          reply(input);
        });
        nodes.push(node);
      }
      network.partition(['10.0.0.0:1'], ['10.0.0.7:1']);
      for (let i = 0; i < 200; i++) {
        const from = nodes[i % 8]!;
        const to = `10.0.0.${(i * 5 + 3) % 8}:1`;
        from.request(to, new Uint8Array([i & 0xff]), 500, (outcome) => {
          log.push(`${timers.now()} ${from.localAddr} done ${to} ${outcome.ok || outcome.failure}`);
        });
      }
      timers.runUntilIdle();
      return log;
    };
    const first = trace(99);
    assert.ok(first.length > 200);
    assert.deepEqual(trace(99), first);
    assert.notDeepEqual(trace(100), first);
  });
});
