import type { TimerHandle, Timers } from '../core/clock.js';
import { TesdError, invariant } from '../core/errors.js';
import type { Random } from '../core/random.js';
import type { RemotePeer, RequestHandler, SendOutcome, Transport } from './transport.js';

export interface SimNetworkOptions {
  /** Every delivery is scheduled here (normally VirtualTimers), never on real time. */
  readonly timers: Timers;
  /** Latency and loss draws: a seed reproduces the network's behaviour. */
  readonly random: Random;
  /** One-way latency of each frame, whole ms drawn uniformly in [min, max]. */
  readonly latencyMs?: { readonly min: number; readonly max: number };
  /** Probability that a frame is lost, in [0, 1]. */
  readonly lossRate?: number;
  /**
   * Copy each frame when it is sent, as a real network would (default true), so a sender that
   * reuses its buffer cannot change a frame in flight. A benchmark whose senders never reuse
   * buffers (encodeFrame allocates each frame) may turn it off: the copies are about a third
   * of the network's own cost per RPC.
   */
  readonly copyFrames?: boolean;
}

export interface SimNetworkStats {
  /** Frames sent (requests and replies). */
  messages: number;
  bytes: number;
  /** Frames that never reached their consumer: lost, cut, down, nobody there, or too late. */
  dropped: number;
}

// Datacenter-to-intercontinental one-way delays: spread enough to reorder concurrent RPCs.
const DEFAULT_LATENCY_MS = { min: 5, max: 50 } as const;

/** One RPC in flight; linked into its sender's list so closing the sender can fail it. */
class InFlightRequest {
  settled = false;
  replied = false;
  timeout: TimerHandle | null = null;
  prev: InFlightRequest | null = null;
  next: InFlightRequest | null = null;

  constructor(
    readonly sender: SimTransport,
    readonly targetAddr: string,
    readonly timeoutMs: number,
    readonly done: (outcome: SendOutcome) => void,
  ) {}
}

/**
 * An in-memory network with latency, loss, crashes and partitions, for deterministic
 * simulation (STYLE.md, Tests): the Transport port's second adapter. Reachability is
 * checked when a frame is sent and again when it arrives, so a cut made mid-flight drops it.
 */
export class SimNetwork {
  readonly stats: SimNetworkStats = { messages: 0, bytes: 0, dropped: 0 };
  readonly timers: Timers;
  private readonly random: Random;
  private readonly latencyMinMs: number;
  private readonly latencySpanMs: number;
  private readonly lossRate: number;
  private readonly copyFrames: boolean;
  private readonly transports = new Map<string, SimTransport>();
  private readonly down = new Set<string>();
  private readonly isolated = new Set<string>();
  private partitions: { readonly a: Set<string>; readonly b: Set<string> }[] = [];

  constructor(options: SimNetworkOptions) {
    const { min, max } = options.latencyMs ?? DEFAULT_LATENCY_MS;
    invariant(
      Number.isInteger(min) && Number.isInteger(max) && 0 <= min && min <= max,
      `latencyMs must be whole ms with 0 <= min <= max, got ${min}..${max}`,
    );
    const lossRate = options.lossRate ?? 0;
    invariant(lossRate >= 0 && lossRate <= 1, `lossRate must be in [0, 1], got ${lossRate}`);
    this.timers = options.timers;
    this.random = options.random;
    this.latencyMinMs = min;
    this.latencySpanMs = max - min;
    this.lossRate = lossRate;
    this.copyFrames = options.copyFrames ?? true;
  }

  /** Connects a node at `addr`; its requests present `certPk` as their TLS key. */
  attach(addr: string, certPk: Uint8Array): SimTransport {
    if (this.transports.has(addr)) {
      throw new TesdError('address_in_use', `sim network: ${addr} is already attached`);
    }
    const transport = new SimTransport(this, addr, certPk);
    this.transports.set(addr, transport);
    return transport;
  }

  /** The node leaves: requests to it time out, its own pending requests fail as 'closed'. */
  detach(addr: string): void {
    const transport = this.transports.get(addr);
    if (transport === undefined) return;
    this.transports.delete(addr);
    transport.shutDown();
  }

  /** A crashed or offline node keeps its addr but sends and receives nothing. */
  setDown(addr: string, down: boolean): void {
    if (down) this.down.add(addr);
    else this.down.delete(addr);
  }

  isDown(addr: string): boolean {
    return this.down.has(addr);
  }

  /** Cuts `addr` from every other node until heal(). */
  isolate(addr: string): void {
    this.isolated.add(addr);
  }

  /** Cuts traffic between the two groups, both directions, until heal(). */
  partition(groupA: readonly string[], groupB: readonly string[]): void {
    this.partitions.push({ a: new Set(groupA), b: new Set(groupB) });
  }

  /** Removes every cut and isolation (down nodes stay down). */
  heal(): void {
    this.isolated.clear();
    this.partitions = [];
  }

  /** Whether a cut separates the two addresses; a node always reaches itself. */
  canReach(fromAddr: string, toAddr: string): boolean {
    if (fromAddr === toAddr) return true;
    if (this.isolated.size > 0 && (this.isolated.has(fromAddr) || this.isolated.has(toAddr))) {
      return false;
    }
    for (const { a, b } of this.partitions) {
      if ((a.has(fromAddr) && b.has(toAddr)) || (b.has(fromAddr) && a.has(toAddr))) return false;
    }
    return true;
  }

  /**
   * Sends one frame from `from` towards `toAddr`: the latency to schedule its arrival, or -1
   * when it is dropped at once (sender gone or down, cut, or lost). For SimTransport only.
   */
  route(from: SimTransport, toAddr: string, bytes: number): number {
    this.stats.messages++;
    this.stats.bytes += bytes;
    if (
      from.closed ||
      (this.down.size > 0 && this.down.has(from.localAddr)) ||
      !this.canReach(from.localAddr, toAddr) ||
      (this.lossRate > 0 && this.random.float() < this.lossRate)
    ) {
      this.stats.dropped++;
      return -1;
    }
    return this.latencySpanMs > 0
      ? this.latencyMinMs + this.random.int(this.latencySpanMs + 1)
      : this.latencyMinMs;
  }

  /** The frame as it travels: a copy unless copyFrames is off. For SimTransport only. */
  carry(frame: Uint8Array): Uint8Array {
    return this.copyFrames ? frame.slice() : frame;
  }

  /** The request frame lands at its target, if the target is there, up and reachable. */
  deliverRequest(rpc: InFlightRequest, frame: Uint8Array): void {
    const target = this.transports.get(rpc.targetAddr);
    const handler = target?.handler;
    if (target === undefined || handler == null || !this.arrives(rpc.sender.localAddr, target)) {
      this.stats.dropped++;
      return;
    }
    handler(frame, rpc.sender.remote, (response) => this.sendReply(rpc, target, response));
  }

  private sendReply(
    rpc: InFlightRequest,
    replier: SimTransport,
    response: Uint8Array | null,
  ): void {
    invariant(!rpc.replied, `reply called twice for a request from ${rpc.sender.localAddr}`);
    rpc.replied = true;
    if (response === null) return;
    const latencyMs = this.route(replier, rpc.sender.localAddr, response.length);
    if (latencyMs < 0) return;
    const copy = this.carry(response);
    this.timers.setTimer(latencyMs, () => this.deliverReply(rpc, replier, copy));
  }

  private deliverReply(rpc: InFlightRequest, replier: SimTransport, frame: Uint8Array): void {
    const sender = rpc.sender;
    if (rpc.settled || sender.closed || !this.arrives(replier.localAddr, sender)) {
      this.stats.dropped++;
      return;
    }
    sender.settle(rpc);
    rpc.done({ ok: true, frame, remote: replier.remote });
  }

  private arrives(fromAddr: string, to: SimTransport): boolean {
    return (
      !to.closed &&
      !(this.down.size > 0 && this.down.has(to.localAddr)) &&
      this.canReach(fromAddr, to.localAddr)
    );
  }
}

/** One node's Transport on a SimNetwork. */
export class SimTransport implements Transport {
  readonly remote: RemotePeer;
  handler: RequestHandler | null = null;
  closed = false;
  private inFlight: InFlightRequest | null = null;

  constructor(
    private readonly network: SimNetwork,
    readonly localAddr: string,
    readonly certPk: Uint8Array,
  ) {
    // Shared by every frame this node sends: one object per node, not per message.
    this.remote = { addr: localAddr, certPk };
  }

  listen(handler: RequestHandler): void {
    if (!this.closed) this.handler = handler;
  }

  request(
    addr: string,
    frame: Uint8Array,
    timeoutMs: number,
    done: (outcome: SendOutcome) => void,
  ): void {
    const timers = this.network.timers;
    const rpc = new InFlightRequest(this, addr, timeoutMs, done);
    if (this.closed) {
      // Never synchronously: callers may still be registering the request.
      rpc.settled = true;
      timers.setTimer(0, () => done(closedOutcome(this.localAddr, addr)));
      return;
    }
    this.link(rpc);
    rpc.timeout = timers.setTimer(timeoutMs, () => this.expire(rpc));
    const latencyMs = this.network.route(this, addr, frame.length);
    if (latencyMs < 0) return;
    const copy = this.network.carry(frame);
    timers.setTimer(latencyMs, () => this.network.deliverRequest(rpc, copy));
  }

  /** The simulation pools no connections: there is nothing to drop. */
  disconnect(_addr: string): void {}

  close(): Promise<void> {
    this.network.detach(this.localAddr);
    return Promise.resolve();
  }

  /** Called by SimNetwork.detach: stop listening and fail every pending request. */
  shutDown(): void {
    if (this.closed) return;
    this.closed = true;
    this.handler = null;
    const timers = this.network.timers;
    for (let rpc = this.inFlight; rpc !== null; rpc = rpc.next) {
      rpc.settled = true;
      rpc.timeout?.cancel();
      const { done, targetAddr } = rpc;
      timers.setTimer(0, () => done(closedOutcome(this.localAddr, targetAddr)));
    }
    this.inFlight = null;
  }

  /** Marks `rpc` answered: no timeout, no second `done`. */
  settle(rpc: InFlightRequest): void {
    rpc.settled = true;
    rpc.timeout?.cancel();
    if (rpc.prev !== null) rpc.prev.next = rpc.next;
    else this.inFlight = rpc.next;
    if (rpc.next !== null) rpc.next.prev = rpc.prev;
    rpc.prev = rpc.next = null;
  }

  private link(rpc: InFlightRequest): void {
    rpc.next = this.inFlight;
    if (this.inFlight !== null) this.inFlight.prev = rpc;
    this.inFlight = rpc;
  }

  private expire(rpc: InFlightRequest): void {
    if (rpc.settled) return;
    this.settle(rpc);
    rpc.done({
      ok: false,
      failure: 'timeout',
      message: `request from ${this.localAddr} to ${rpc.targetAddr} timed out after ${rpc.timeoutMs} ms`,
    });
  }
}

function closedOutcome(fromAddr: string, toAddr: string): SendOutcome {
  return {
    ok: false,
    failure: 'closed',
    message: `request from ${fromAddr} to ${toAddr} failed: transport closed`,
  };
}
