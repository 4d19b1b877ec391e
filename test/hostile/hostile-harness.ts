import type { Timers } from '../../src/core/clock.js';
import type { NodeIdentity } from '../../src/core/identity.js';
import type { SigningKey } from '../../src/core/ed25519.js';
import { seededRandom } from '../../src/core/random.js';
import { generateIdentity } from '../../src/cli/identity-file.js';
import { NodeMetrics } from '../../src/cli/metrics.js';
import { makeConfig, type DhtConfig } from '../../src/dht/config.js';
import { DhtNode } from '../../src/dht/dht-node.js';
import type { StoredEvent } from '../../src/events/event-types.js';
import { MemoryEventStore } from '../../src/events/memory-event-store.js';
import { ObservedStore } from '../../src/events/observed-event-store.js';
import { decodeFrame, encodeFrame, isDecodeError } from '../../src/net/frame-codec.js';
import { ErrorCode } from '../../src/net/messages.js';
import { QuicTransport } from '../../src/net/quic-transport.js';

/**
 * A node under attack over real QUIC on loopback, in this process so that its clock is ours:
 * time stands still unless a test moves it, so one-second rate windows and one-minute log
 * aggregation are decided by the test, not by how fast a loaded machine runs. Timers still
 * fire on real time (QUIC needs them); only `now()` is frozen.
 */
export class ManualClockTimers implements Timers {
  constructor(private nowMs = 1_800_000_000_000) {}

  now(): number {
    return this.nowMs;
  }

  advance(ms: number): void {
    this.nowMs += ms;
  }

  setTimer(delayMs: number, callback: () => void): { cancel(): void } {
    const timeout = setTimeout(callback, Math.max(0, Math.min(delayMs, 2_147_483_647)));
    timeout.unref();
    return { cancel: () => clearTimeout(timeout) };
  }
}

export interface Target {
  readonly node: DhtNode;
  readonly addr: string;
  readonly timers: ManualClockTimers;
  readonly metrics: NodeMetrics;
  readonly events: StoredEvent[];
  close(): Promise<void>;
}

/** A DHT node on 127.0.0.1 with a frozen clock, its events captured and its metrics fed. */
export async function startTarget(config: Partial<DhtConfig>): Promise<Target> {
  const { key, identity } = generateIdentity(8);
  const transport = await QuicTransport.create({ bind: '127.0.0.1:0', key, logLevel: 'silent' });
  const timers = new ManualClockTimers();
  const store = new ObservedStore(new MemoryEventStore());
  const metrics = new NodeMetrics();
  const events: StoredEvent[] = [];
  store.onAppend((event) => {
    events.push(event);
    metrics.observe(event);
  });
  const node = new DhtNode({
    key,
    identity,
    transport,
    timers,
    random: seededRandom(11),
    store,
    config: makeConfig(config),
  });
  metrics.attach(node);
  node.start({ maintenance: false });
  return {
    node,
    addr: transport.localAddr,
    timers,
    metrics,
    events,
    close: async () => {
      node.stop('test over');
      await transport.close();
    },
  };
}

export interface Tally {
  answered: number;
  refused: number;
  failed: number;
}

/** One socket of a peer: a QUIC transport bound to `host` with the peer's key. */
export class PeerSocket {
  private rid = 0;

  private constructor(
    readonly transport: QuicTransport,
    readonly identity: NodeIdentity,
  ) {}

  static async open(
    host: string,
    peer: { key: SigningKey; identity: NodeIdentity } = generateIdentity(8),
  ): Promise<PeerSocket> {
    const transport = await QuicTransport.create({
      bind: `${host}:0`,
      key: peer.key,
      logLevel: 'silent',
    });
    return new PeerSocket(transport, peer.identity);
  }

  get addr(): string {
    return this.transport.localAddr;
  }

  /** Sends `count` pings at once (pipelined on pooled streams) and counts the answers. */
  async pings(to: string, count: number, timeoutMs = 20_000): Promise<Tally> {
    const tally: Tally = { answered: 0, refused: 0, failed: 0 };
    await Promise.all(
      Array.from({ length: count }, () =>
        this.ping(to, timeoutMs).then((kind) => void tally[kind]++),
      ),
    );
    return tally;
  }

  /** One ping: `answered` (a pong), `refused` (error 4) or `failed` (anything else). */
  ping(to: string, timeoutMs = 20_000): Promise<keyof Tally> {
    const rid = ++this.rid;
    const { id, pk, nonce } = this.identity;
    const frame = encodeFrame({
      v: 1,
      rid,
      from: { id, pk, nonce, addr: this.addr, caps: 3 },
      body: { req: { op: 'ping' } },
    });
    return new Promise((resolve) =>
      this.transport.request(to, frame, timeoutMs, (outcome) => {
        if (!outcome.ok) return resolve('failed');
        const message = decodeFrame(outcome.frame);
        if (isDecodeError(message) || message.rid !== rid) return resolve('failed');
        const { body } = message;
        if ('res' in body && body.res.op === 'pong') return resolve('answered');
        if ('err' in body && body.err.code === ErrorCode.OVERLOADED) return resolve('refused');
        resolve('failed');
      }),
    );
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}

/** Sums tallies. */
export function total(tallies: readonly Tally[]): Tally {
  return tallies.reduce(
    (sum, t) => ({
      answered: sum.answered + t.answered,
      refused: sum.refused + t.refused,
      failed: sum.failed + t.failed,
    }),
    { answered: 0, refused: 0, failed: 0 },
  );
}

/** The value of one counter series in the Prometheus text, 0 when absent. */
export async function metricValue(metrics: NodeMetrics, series: string): Promise<number> {
  const { body } = await metrics.text();
  const line = body.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}
