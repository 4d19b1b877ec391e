import { toHex } from '../core/bytes.js';
import { servesDht } from '../core/node-info.js';
import type { DhtNode } from '../dht/dht-node.js';
import type { FindResult } from '../dht/find.js';
import type { NetworkSizeEstimate } from '../dht/netsize.js';
import type { PublishResult } from '../dht/publish.js';
import { pointerToData } from '../projections/pointer-data.js';

/** JSON views of a running node for the admin API (snake_case, binary as hex, like the log). */

export interface DaemonInfo {
  readonly startedAtMs: number;
  readonly admin: string;
  readonly metrics: string;
  /** The last bootstrap or rejoin, once it finished. */
  bootstrap: { peers: number; restored: number; answered: number; table_size: number } | null;
  readonly restoredPeers: number;
  readonly restoredPointers: number;
  /** The network size estimate (src/cli/netsize-watch.ts), where the daemon keeps one. */
  networkSize?: () => NetworkSizeEstimate | null;
}

export function statusView(node: DhtNode, info: DaemonInfo) {
  const { state, identity } = node;
  const journal = node.store.status;
  return {
    id: identity.idHex,
    pk: toHex(identity.pk),
    nonce: identity.nonce,
    addr: node.self.addr,
    caps: node.self.caps,
    client: !servesDht(node.self.caps),
    advertised_addr: node.advertisedAddr,
    reachability: reachabilityView(node),
    version: node.config.version,
    difficulty: node.config.difficulty,
    started_at: new Date(info.startedAtMs).toISOString(),
    uptime_s: Math.round((node.timers.now() - info.startedAtMs) / 1000),
    peers: state.routing.byId.size,
    pointers: state.pointers.size,
    published: state.pointers.published.size,
    restored: { peers: info.restoredPeers, pointers: info.restoredPointers },
    bootstrap: info.bootstrap,
    network_size: info.networkSize?.() ?? null,
    journal: { paused: node.journalPaused, error: journal.error },
    events: { last_seq: node.store.lastSeq },
    admin: info.admin,
    metrics: info.metrics,
  };
}

/** Reachability and the advertised address as an operator needs them (issue 15). */
function reachabilityView(node: DhtNode) {
  const { reach } = node;
  const leading = reach.observed.leading(node.timers.now());
  const dht = servesDht(node.self.caps);
  return {
    status: reach.status,
    mode: reach.mode,
    since: new Date(reach.sinceMs).toISOString(),
    reason: reach.reason,
    observed: leading === null ? null : { addr: leading.addr, voters: leading.voters },
    agreed_addr: reach.observed.agreed,
    summary: dht
      ? `serving the DHT (${reach.mode === 'server' ? 'forced by --server' : 'confirmed reachable'})`
      : reach.mode === 'client'
        ? 'client (--client): not in routing tables'
        : `client until confirmed reachable (${reach.status}): not in routing tables`,
  };
}

export function peersView(node: DhtNode) {
  const out: Array<{
    id: string;
    addr: string;
    caps: number;
    bucket: number;
    last_seen_at: string;
    failures: number;
  }> = [];
  node.state.routing.buckets.forEach((bucket, index) => {
    for (const entry of bucket?.entries ?? [])
      out.push({
        id: entry.peer.identity.idHex,
        addr: entry.peer.addr,
        caps: entry.peer.caps,
        bucket: index,
        last_seen_at: new Date(entry.lastSeenAtMs).toISOString(),
        failures: entry.failures,
      });
  });
  return { peers: out };
}

/** The routing table by bucket, for the live page's picture (SPEC §2 numbering). */
export function routingView(node: DhtNode) {
  const buckets: Array<{
    bucket: number;
    shared_bits: number;
    last_activity_at: string | null;
    cached: number;
    peers: Array<{ id: string; addr: string; last_seen_at: string; failures: number }>;
  }> = [];
  node.state.routing.buckets.forEach((bucket, index) => {
    if (bucket === undefined || (bucket.entries.length === 0 && bucket.replacements.length === 0))
      return;
    buckets.push({
      bucket: index,
      shared_bits: 159 - index,
      last_activity_at:
        bucket.lastActivityAtMs > 0 ? new Date(bucket.lastActivityAtMs).toISOString() : null,
      cached: bucket.replacements.length,
      peers: bucket.entries.map((entry) => ({
        id: entry.peer.identity.idHex,
        addr: entry.peer.addr,
        last_seen_at: new Date(entry.lastSeenAtMs).toISOString(),
        failures: entry.failures,
      })),
    });
  });
  return {
    id: node.identity.idHex,
    k: node.config.k,
    now: new Date(node.timers.now()).toISOString(),
    buckets,
  };
}

export function findView(result: FindResult) {
  const { lookup } = result;
  return {
    key: result.key,
    pointers: result.pointers.map(pointerToData),
    lookup: {
      id: lookup.id,
      hops: lookup.hops,
      rpcs: lookup.rpcs,
      duration_ms: lookup.durationMs,
      reason: lookup.reason,
      closest: lookup.closest.map((p) => ({ id: p.identity.idHex, addr: p.addr })),
    },
  };
}

export function publishView(result: PublishResult) {
  return {
    ok: result.ok,
    key: result.key,
    seq: result.seq,
    expires: result.expires,
    stored_at: result.storedAt,
    lookup: result.lookupId,
    ...(result.error === undefined ? {} : { error: result.error }),
  };
}
