import { signingKeyFromSecret, type SigningKey } from '../core/ed25519.js';
import { IdentityCache, makeIdentity, type NodeIdentity } from '../core/identity.js';
import { normalizeAddress } from '../core/address.js';
import { invariant } from '../core/errors.js';
import { findNonce } from '../core/proof-of-work.js';
import { seededRandom, type Random } from '../core/random.js';
import { makeConfig, type DhtConfig } from '../dht/config.js';
import { createNode } from '../dht/create-node.js';
import type { DhtNode } from '../dht/dht-node.js';
import type { Seed } from '../dht/bootstrap.js';
import { MemoryEventStore, type MemoryEventStoreOptions } from '../events/memory-event-store.js';
import type { EventStore } from '../events/event-store.js';
import { SimNetwork } from '../net/sim-network.js';
import { holdNodeInfosFor } from '../net/wire-decode.js';
import { VirtualTimers } from '../net/virtual-timers.js';
import {
  emptyNodeState,
  evolveNode,
  nodeStateToJson,
  type NodeState,
} from '../projections/node-state.js';

/**
 * A whole network in one process on virtual time, deterministic from a seed (STYLE.md):
 * tests tell stories with it and the lookup benchmark measures it.
 */
export interface SimulationOptions {
  readonly seed: number;
  readonly nodes?: number;
  readonly config?: Partial<DhtConfig>;
  readonly latencyMs?: { min: number; max: number };
  readonly lossRate?: number;
  /** Check after every step that each node's state equals the fold of its log (tests). */
  readonly checkEveryStep?: boolean;
  /** Check at the end of each run (default true; the benchmark turns it off). */
  readonly checks?: boolean;
  readonly store?: MemoryEventStoreOptions;
  /** Start nodes with their maintenance timers (off by default so runUntilIdle ends). */
  readonly maintenance?: boolean;
  /** Builds a node's event store (default: a MemoryEventStore); tests record SQLite logs. */
  readonly storeFactory?: (index: number, identity: NodeIdentity) => EventStore | undefined;
}

export interface SimNode {
  readonly index: number;
  readonly addr: string;
  readonly key: SigningKey;
  readonly identity: NodeIdentity;
  store: EventStore;
  node: DhtNode;
  /** What the node told its operator (the daemon logs these as warnings). */
  readonly warnings: string[];
}

/** How many nodes the loopback addresses below number: 127.0.0.1 to 127.255.255.1. */
const LOOPBACK_NODES = 65_536;

/**
 * 127.a.b.1 (one /24 per node, so the strict IP-diversity caps apply) for the first 65,536
 * nodes; past them, which only the 100,000-node benchmark reaches, `[2001:db8:b:a::1]`
 * (the documentation range: one /48 per node up to 131,072 nodes, one /64 per node past
 * that). Every address is in its canonical form.
 */
export function simAddress(index: number): string {
  if (index < LOOPBACK_NODES) return `127.${(index >> 8) & 255}.${index & 255}.1:4433`;
  const rest = index - LOOPBACK_NODES;
  const wide = `[2001:db8:${(rest & 0xffff).toString(16)}:${(rest >>> 16).toString(16)}:0:0:0:1]:4433`;
  const address = normalizeAddress(wide);
  invariant(address !== null, `sim address ${wide} parses`);
  return address;
}

export class Simulation {
  readonly timers = new VirtualTimers();
  readonly random: Random;
  readonly network: SimNetwork;
  readonly nodes: SimNode[] = [];
  readonly config: DhtConfig;
  readonly identities = new IdentityCache(1_000_000);
  private readonly shadows = new Map<SimNode, NodeState>();
  private readonly stopped = new Set<SimNode>();

  constructor(readonly options: SimulationOptions) {
    this.random = seededRandom(options.seed);
    this.config = makeConfig({ strictIpDiversity: true, ...options.config });
    this.network = new SimNetwork({
      timers: this.timers,
      random: this.random,
      latencyMs: options.latencyMs ?? { min: 5, max: 50 },
      lossRate: options.lossRate ?? 0,
      copyFrames: false,
    });
    for (let i = 0; i < (options.nodes ?? 0); i++) this.addNode();
  }

  node(index: number): DhtNode {
    const simNode = this.nodes[index];
    invariant(simNode !== undefined, `no simulated node ${index}`);
    return simNode.node;
  }

  /** A fresh identity from the seeded generator: the same seed gives the same network. */
  newKey(): { key: SigningKey; identity: NodeIdentity } {
    const key = signingKeyFromSecret(this.random.bytes(32));
    const identity = makeIdentity(key.pk, findNonce(key.pk, this.config.difficulty));
    return { key, identity };
  }

  addNode(
    options: {
      addr?: string;
      config?: Partial<DhtConfig>;
      key?: { key: SigningKey; identity: NodeIdentity };
    } = {},
  ): SimNode {
    const index = this.nodes.length;
    // Every node's frames are decoded in this process: its NodeInfo cache serves them all.
    holdNodeInfosFor(index + 1);
    const addr = options.addr ?? simAddress(index);
    const { key, identity } = options.key ?? this.newKey();
    const store =
      this.options.storeFactory?.(index, identity) ??
      new MemoryEventStore(this.options.store ?? {});
    const transport = this.network.attach(addr, key.pk);
    const warnings: string[] = [];
    const node = createNode(
      {
        key,
        identity,
        transport,
        timers: this.timers,
        random: this.random,
        store,
        identities: this.identities,
        warn: (message) => warnings.push(message),
      },
      { ...this.config, ...options.config },
    );
    const simNode: SimNode = { index, addr, key, identity, store, node, warnings };
    this.nodes.push(simNode);
    node.start({ maintenance: this.options.maintenance === true });
    return simNode;
  }

  /**
   * Takes a node off the network. `crash` skips the clean stop (no node_stopped, nothing
   * flushed by the node itself), as a SIGKILL would. The log stays with the SimNode.
   */
  stopNode(index: number, options: { crash?: boolean } = {}): void {
    const simNode = this.nodes[index];
    invariant(simNode !== undefined, `no simulated node ${index}`);
    if (options.crash === true) simNode.node.cancelMaintenance();
    else simNode.node.stop('stopped by the simulation');
    this.network.detach(simNode.addr);
    this.stopped.add(simNode);
  }

  /**
   * Restarts a node on its log (SPEC §5): state restored from the latest snapshot and the
   * events after it, before it answers anything. It does not bootstrap: call rejoin().
   */
  restartNode(index: number, store: EventStore = this.nodes[index]!.store): SimNode {
    const simNode = this.nodes[index];
    invariant(simNode !== undefined, `no simulated node ${index}`);
    const { key, identity } = simNode;
    simNode.store = store;
    this.stopped.delete(simNode);
    simNode.node = createNode(
      {
        key,
        identity,
        transport: this.network.attach(simNode.addr, key.pk),
        timers: this.timers,
        random: this.random,
        store,
        identities: this.identities,
        warn: (message) => simNode.warnings.push(message),
      },
      simNode.node.config,
    );
    simNode.node.start({ maintenance: this.options.maintenance === true });
    return simNode;
  }

  /** Node 0 first, then every other node bootstraps from a random node that joined before it. */
  bootstrapAll(options: { staggerMs?: number } = {}): void {
    const stagger = options.staggerMs ?? 100;
    this.nodes.forEach((simNode, i) => {
      if (i === 0) return;
      this.timers.setTimer(i * stagger, () => {
        const seed = this.nodes[this.random.int(i)]!;
        simNode.node.bootstrap([{ addr: seed.addr, idHex: seed.identity.idHex }], () => undefined);
      });
    });
  }

  seedOf(index: number): Seed {
    const simNode = this.nodes[index]!;
    return { addr: simNode.addr, idHex: simNode.identity.idHex };
  }

  /** Runs until nothing is scheduled, checking invariants after every step when asked to. */
  runUntilIdle(maxSteps?: number): void {
    if (this.options.checkEveryStep !== true) {
      this.timers.runUntilIdle(maxSteps);
      this.check();
      return;
    }
    while (this.timers.runNext()) this.check();
    this.check();
  }

  runFor(ms: number): void {
    if (this.options.checkEveryStep !== true) {
      this.timers.runFor(ms);
      this.check();
      return;
    }
    const end = this.timers.now() + ms;
    this.timers.runUntil(() => {
      this.check();
      return this.timers.now() >= end;
    });
  }

  /**
   * The invariants of STYLE.md: no table holds its own ID, and the state folded from each
   * node's log equals its live state (the engine changed nothing without an event).
   */
  check(): void {
    if (this.options.checks === false) return;
    for (const simNode of this.nodes) {
      if (this.stopped.has(simNode)) continue;
      const { node } = simNode;
      invariant(!node.state.routing.byId.has(node.idHex), `node ${simNode.index} holds its own ID`);
      let shadow = this.shadows.get(simNode) ?? emptyNodeState(node.identity.id, node.idHex);
      for (const event of simNode.store.read({ afterSeq: shadow.lastSeq }))
        shadow = evolveNode(shadow, event);
      this.shadows.set(simNode, shadow);
      const live = JSON.stringify(nodeStateToJson(node.state));
      const folded = JSON.stringify(nodeStateToJson(shadow));
      invariant(
        live === folded,
        `node ${simNode.index}: state folded from its log differs from the live state`,
      );
    }
  }
}

export function createSimulation(options: SimulationOptions): Simulation {
  return new Simulation(options);
}
