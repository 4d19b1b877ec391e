import { randomIdInBucket } from '../core/distance.js';
import type { PeerInfo } from '../core/node-info.js';
import type { NodeDriver } from './node-context.js';
import { lookup } from './iterative-lookup.js';
import { runFanOut } from './fan-out.js';
import { sendRpc, type RpcTarget } from './rpc-client.js';

/** A bootstrap address, `host:port` or `ID@host:port` (the ID is then checked on answer). */
export interface Seed {
  readonly addr: string;
  readonly idHex?: string;
}

export interface BootstrapResult {
  readonly peers: number;
  readonly restored: number;
  readonly answered: number;
  readonly tableSize: number;
}

/** Refresh lookups run this many at a time after the own-ID lookup. */
const REFRESH_PARALLELISM = 3;

/**
 * SPEC §4.3 bootstrap: contact the seeds, look up our own ID, then refresh every bucket from
 * the farthest down to one past the deepest non-empty one, so the table covers the key space.
 */
export function bootstrap(
  node: NodeDriver,
  seeds: readonly Seed[],
  done: (result: BootstrapResult) => void,
): void {
  const targets = seeds.map((s) =>
    s.idHex === undefined
      ? { identity: null, addr: s.addr }
      : { identity: null, addr: s.addr, expectedIdHex: s.idHex },
  );
  // Every seed at once: there are a few, and the lookup waits for all of them.
  pingInWaves(node, targets, targets.length, (answered) => {
    lookup(node, { target: node.identity.id, kind: 'bootstrap', seeds: answered }, () => {
      refreshBuckets(node, bucketsToRefresh(node), () => {
        const result = {
          peers: seeds.length,
          restored: 0,
          answered: answered.length,
          tableSize: node.state.routing.byId.size,
        };
        node.record('bootstrap_finished', {
          peers: result.peers,
          restored: 0,
          answered: result.answered,
        });
        done(result);
      });
    });
  });
}

/**
 * Restart without bootstrapping (SPEC §5): ping the peers restored from the log in waves,
 * closest buckets first, a few in flight at a time, so that a node restarting among many does
 * not open ~50 handshakes at once and time them all out; bootstrap from the seeds only when
 * too few of them answer. `answered` counts the restored peers that answered.
 */
export function rejoin(
  node: NodeDriver,
  seeds: readonly Seed[],
  done: (result: BootstrapResult) => void,
): void {
  const restored = restoredClosestFirst(node);
  pingInWaves(node, restored, REJOIN_IN_FLIGHT, (answered) => {
    const enough =
      answered.length > 0 &&
      answered.length >= Math.min(node.config.minRestoredPeers, restored.length);
    if (!enough && seeds.length > 0) {
      bootstrap(node, seeds, (result) =>
        done({ ...result, restored: restored.length, answered: answered.length + result.answered }),
      );
      return;
    }
    const result = {
      peers: seeds.length,
      restored: restored.length,
      answered: answered.length,
      tableSize: node.state.routing.byId.size,
    };
    node.record('bootstrap_finished', {
      peers: result.peers,
      restored: result.restored,
      answered: result.answered,
    });
    done(result);
  });
}

/**
 * Restored pings in flight at once. A handshake costs the answering node about a millisecond
 * of CPU, and ~1 s under load when a dozen nodes restart together; 8 at a time keeps a wave
 * of restarts from timing itself out while a 50-peer table still rejoins in a few round trips.
 */
const REJOIN_IN_FLIGHT = 8;

/**
 * A join's pings wait this many RPC timeouts. When a dozen processes restart together on one
 * loaded host, live peers answer in 1-12 s (handshakes queue behind one another on both
 * sides); with the plain 2 s timeout a third of them were written off (bench:churn-real).
 * A dead peer costs a slot for longer, but only 8 slots of a rejoin and none of a lookup.
 */
const JOIN_PING_TIMEOUT_FACTOR = 3;

/** The restored peers, closest bucket first (the lowest bucket index is the closest). */
function restoredClosestFirst(node: NodeDriver): PeerInfo[] {
  const out: PeerInfo[] = [];
  for (const bucket of node.state.routing.buckets)
    for (const peer of bucket?.peers ?? []) out.push(peer);
  return out;
}

/**
 * Pings `targets` in order with at most `inFlight` outstanding; reports who answered. A ping
 * that failed before any answer came is sent once more at the end, if one came by then: until
 * the first answer the failure is more likely ours (a process still starting, a loaded
 * machine) than the peer's. No failure here is a strike: a node that restarts among many (a
 * dozen processes starting on one loaded host) gets answers later than the RPC timeout from
 * peers that are up; the lookups and maintenance that follow strike the ones really gone.
 */
function pingInWaves(
  node: NodeDriver,
  targets: readonly RpcTarget[],
  inFlight: number,
  done: (answered: PeerInfo[]) => void,
): void {
  const answered: PeerInfo[] = [];
  const failedEarly: RpcTarget[] = [];
  const pingAll = (list: readonly RpcTarget[], retry: boolean, then: () => void): void =>
    runFanOut(
      list.length,
      inFlight,
      (index, settled) =>
        sendRpc(
          node,
          list[index]!,
          { op: 'ping' },
          null,
          (result) => {
            if (result.ok) answered.push(result.peer);
            else if (!retry && answered.length === 0) failedEarly.push(list[index]!);
            settled();
          },
          { strikes: false, timeoutMs: JOIN_PING_TIMEOUT_FACTOR * node.config.rpcTimeoutMs },
        ),
      then,
    );
  pingAll(targets, false, () => {
    if (answered.length === 0 || failedEarly.length === 0) return done(answered);
    pingAll(failedEarly, true, () => done(answered));
  });
}

function bucketsToRefresh(node: NodeDriver): number[] {
  const { buckets } = node.state.routing;
  const deepest = buckets.findIndex((b) => b !== undefined && b.size > 0);
  if (deepest < 0) return [];
  const out: number[] = [];
  for (let i = buckets.length - 1; i >= Math.max(0, deepest - 1); i--) out.push(i);
  return out;
}

/** Runs refresh lookups for `indexes`, a few at a time. */
export function refreshBuckets(
  node: NodeDriver,
  indexes: readonly number[],
  done: () => void,
): void {
  runFanOut(
    indexes.length,
    REFRESH_PARALLELISM,
    (i, settled) => {
      const target = randomIdInBucket(node.identity.id, indexes[i]!, node.random.bytes(20));
      lookup(node, { target, kind: 'refresh' }, settled);
    },
    done,
  );
}
