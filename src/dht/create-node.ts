import type { Timers } from '../core/clock.js';
import type { SigningKey } from '../core/ed25519.js';
import type { IdentityCache, NodeIdentity } from '../core/identity.js';
import type { Random } from '../core/random.js';
import type { EventStore } from '../events/event-store.js';
import type { Transport } from '../net/transport.js';
import type { NodeState } from '../projections/node-state.js';
import { makeConfig, type DhtConfig } from './config.js';
import { DhtNode } from './dht-node.js';
import { restoreState } from './snapshots.js';

/** What a node is built from: who it is and the ports the driver owns. */
export interface NodePorts {
  readonly key: SigningKey;
  readonly identity: NodeIdentity;
  readonly transport: Transport;
  readonly timers: Timers;
  /** Seeded in the simulation; entropy-seeded by the CLI. */
  readonly random: Random;
  readonly store: EventStore;
  /** Shared across simulated nodes: verified identities are pure facts. */
  readonly identities?: IdentityCache;
  /** Told when the journal pauses or resumes, and other things an operator should see. */
  readonly warn?: (message: string) => void;
}

export interface CreateNodeOptions {
  /** The state already restored from `store` (the daemon reports what it restored first). */
  readonly state?: NodeState;
}

/**
 * The one composition of a node, used by the daemon, the simulation and the benchmarks:
 * the state is restored from the store's log (latest snapshot + the events after it) unless
 * given, and the driver is wired to the ports. The node is not started: call start().
 */
export function createNode(
  ports: NodePorts,
  config: Partial<DhtConfig> = {},
  options: CreateNodeOptions = {},
): DhtNode {
  return new DhtNode({
    ...ports,
    config: makeConfig(config),
    state: options.state ?? restoreState(ports.store, ports.identity),
  });
}
