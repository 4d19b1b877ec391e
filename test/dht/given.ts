import assert from 'node:assert/strict';
import { bucketIndex } from '../../src/core/distance.js';
import { IdentityCache, makeIdentity, type NodeIdentity } from '../../src/core/identity.js';
import { Caps, type PeerInfo } from '../../src/core/node-info.js';
import type { Pointer } from '../../src/core/pointer.js';
import { seededRandom } from '../../src/core/random.js';
import { makeConfig, type DhtConfig } from '../../src/dht/config.js';
import type {
  Decision,
  DecisionContext,
  EngineView,
  EventDraft,
} from '../../src/dht/node-context.js';
import { decideStore, type StoreOutcome } from '../../src/dht/pointer-decisions.js';
import { decideObserved, decideStrike } from '../../src/dht/routing-decisions.js';
import { emptyNodeState, evolveNode, type NodeState } from '../../src/projections/node-state.js';
import { IdentityInterner } from '../../src/projections/peer-identity.js';
import { storedEvent } from '../support/stored-event.js';

/**
 * given(events).when(input).then(events, pings): the engine's pure decisions tested without a
 * Simulation, a Transport or a store. `given` folds past events into a state; `when` runs one
 * decision on it; `then` checks the exact events and messages it returned, and applies the
 * events so the next `when` sees their effect.
 */

export type Input =
  | { readonly exchange: PeerInfo; readonly atMs: number }
  | {
      readonly rpcFailed: PeerInfo;
      readonly atMs: number;
      readonly error?: string;
      /**
       * Our last successful exchange with anyone (default: atMs, we are online); 'log': what
       * the driver uses, the session folded from the given events (rpc_received, rpc_completed).
       */
      readonly lastSuccessAtMs?: number | 'log';
    }
  | { readonly store: Pointer; readonly from: string; readonly atMs: number };

/** An expected event: its type and exactly its data. */
export type Expected = readonly [type: EventDraft['type'], data: object];

export class Given {
  readonly view: EngineView & { state: NodeState };
  private seq = 0;
  private last: { decision: Decision; outcome?: StoreOutcome; atMs: number } | null = null;

  constructor(
    readonly self: NodeIdentity,
    config: Partial<DhtConfig>,
  ) {
    this.view = {
      identity: self,
      config: makeConfig({ strictIpDiversity: true, difficulty: 0, ...config }),
      state: emptyNodeState(self.id, self.idHex, new IdentityInterner()),
      identities: new IdentityCache(),
    };
  }

  /** Folds events as if recorded at `atMs`. */
  fold(events: readonly EventDraft[], atMs: number): this {
    for (const event of events) {
      evolveNode(
        this.view.state,
        storedEvent(event.type, event.data, atMs, ++this.seq, event.refs),
      );
    }
    return this;
  }

  when(input: Input): this {
    const context = (atMs: number, lastSuccessAtMs = atMs): DecisionContext => ({
      nowMs: atMs,
      lastSuccessAtMs,
    });
    if ('exchange' in input) {
      this.last = {
        decision: decideObserved(this.view, input.exchange, context(input.atMs)),
        atMs: input.atMs,
      };
    } else if ('rpcFailed' in input) {
      const decision = decideStrike(
        this.view,
        input.rpcFailed,
        input.error ?? 'timeout',
        context(
          input.atMs,
          input.lastSuccessAtMs === 'log'
            ? this.view.state.session.lastExchangeAtMs
            : input.lastSuccessAtMs,
        ),
      );
      this.last = { decision, atMs: input.atMs };
    } else {
      const { outcome, events } = decideStore(this.view, input.store, input.from, null, input.atMs);
      this.last = { decision: { events, pings: [] }, outcome, atMs: input.atMs };
    }
    return this;
  }

  /** Exactly these events (type and data) and these pings, then applies the events. */
  then(events: readonly Expected[], pings: readonly PeerInfo[] = []): this {
    assert.ok(this.last !== null, 'then() without when()');
    const { decision, atMs } = this.last;
    assert.deepEqual(
      decision.events.map((e) => [e.type, e.data]),
      events.map(([type, data]) => [type, data]),
    );
    assert.deepEqual(
      decision.pings.map((p) => p.identity.idHex),
      pings.map((p) => p.identity.idHex),
    );
    return this.fold(decision.events, atMs);
  }

  /**
   * Three failed RPCs to `peer` at `atMs`, +1, +2: two strikes, then the third evicts it and
   * `promoted` follows (a replacement's peer_added, or nothing).
   */
  strikeOut(peer: PeerInfo, atMs: number, promoted: readonly Expected[] = []): this {
    return this.when({ rpcFailed: peer, atMs })
      .then([failed(peer, 1)])
      .when({ rpcFailed: peer, atMs: atMs + 1 })
      .then([failed(peer, 2)])
      .when({ rpcFailed: peer, atMs: atMs + 2 })
      .then([failed(peer, 3), evicted(peer), ...promoted]);
  }

  /** The last decision, for what `then` does not compare (a rejection's reason). */
  get decision(): Decision | undefined {
    return this.last?.decision;
  }

  /** The store outcome of the last `when({ store })`. */
  get outcome(): StoreOutcome | undefined {
    return this.last?.outcome;
  }
}

const random = seededRandom(1010);

/** A fresh identity (difficulty 0: the decisions under test do not verify work). */
export function identity(): NodeIdentity {
  return makeIdentity(random.bytes(32), 0);
}

export function given(config: Partial<DhtConfig> = {}, self = identity()): Given {
  return new Given(self, config);
}

/** A DHT peer at `addr` whose ID falls into bucket `bucket` of `self`'s table. */
export function peerIn(self: NodeIdentity, bucket: number, addr: string): PeerInfo {
  for (;;) {
    const candidate = identity();
    if (bucketIndex(self.id, candidate.id) === bucket)
      return { identity: candidate, addr, caps: Caps.DHT };
  }
}

/** The data of peer_added / peer_cached for `peer` in `bucket`. */
export function peerData(peer: PeerInfo, bucket: number) {
  const { identity: id } = peer;
  return {
    id: id.idHex,
    addr: peer.addr,
    caps: peer.caps,
    bucket,
    pk: Buffer.from(id.pk).toString('hex'),
    nonce: id.nonce,
  };
}

export function added(peer: PeerInfo, bucket: number): EventDraft {
  return {
    type: 'peer_added',
    data: peerData(peer, bucket),
    refs: { peer: peer.identity.idHex },
  };
}

export function cached(peer: PeerInfo, bucket: number): EventDraft {
  return {
    type: 'peer_cached',
    data: peerData(peer, bucket),
    refs: { peer: peer.identity.idHex },
  };
}

/** The peer_failed a timed-out RPC to `peer` records. */
export function failed(peer: PeerInfo, failures: number): Expected {
  return ['peer_failed', { id: peer.identity.idHex, addr: peer.addr, failures, error: 'timeout' }];
}

/** The peer_evicted of a peer's third strike. */
export function evicted(peer: PeerInfo): Expected {
  return ['peer_evicted', { id: peer.identity.idHex, reason: 'unresponsive' }];
}
