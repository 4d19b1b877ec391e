import { ID_BITS } from '../core/node-id.js';
import { routingToJson, type RoutingJson } from '../projections/routing-table.js';
import { renderTable } from './format-table.js';
import type { StateAt } from './time-travel.js';
import { formatAgo, formatTime, plural } from './time-spec.js';

/** `tesd routing`: the table at a moment, grouped by bucket. */
export interface RoutingView {
  seq: number;
  at_ms: number | null;
  snapshot_seq: number | null;
  self: string;
  peers: number;
  /** routingToJson's buckets, each with the bits its peers share with our ID. */
  buckets: Array<RoutingJson['buckets'][number] & { shared_prefix_bits: number }>;
}

export function routingView(at: StateAt): RoutingView {
  const json = routingToJson(at.state.routing);
  return {
    seq: at.seq,
    at_ms: at.atMs,
    snapshot_seq: at.snapshotSeq,
    self: json.self,
    peers: at.state.routing.byId.size,
    buckets: json.buckets.map((b) => ({ ...b, shared_prefix_bits: ID_BITS - 1 - b.index })),
  };
}

function header(view: { seq: number; at_ms: number | null; snapshot_seq: number | null }): string {
  const when = view.at_ms === null ? 'empty log' : formatTime(view.at_ms);
  const from =
    view.snapshot_seq === null
      ? 'folded from the start of the log'
      : `snapshot at seq ${view.snapshot_seq} + ${view.seq - view.snapshot_seq} events`;
  return `as of seq ${view.seq} (${when}; ${from})`;
}

export function renderRouting(view: RoutingView, maxWidth = Infinity): string {
  const out = [`routing table of ${view.self}, ${plural(view.peers, 'peer')}, ${header(view)}`];
  const nowMs = view.at_ms ?? 0;
  for (const bucket of view.buckets) {
    out.push(
      '',
      `bucket ${bucket.index}: distance 2^${bucket.index}..2^${bucket.index + 1} ` +
        `(shares ${plural(bucket.shared_prefix_bits, 'prefix bit')}), ${plural(bucket.entries.length, 'peer')}, ` +
        `${bucket.replacements.length} cached, last activity ${formatTime(bucket.last_activity_at_ms)}`,
    );
    if (bucket.entries.length > 0) {
      const rows = bucket.entries.map((e) => [
        e.id,
        e.addr,
        formatAgo(e.last_seen_at_ms, nowMs),
        e.failures,
        e.caps,
      ]);
      out.push(
        renderTable(['id', 'addr', 'last seen', 'failures', 'caps'], rows, maxWidth).trimEnd(),
      );
    }
    for (const r of bucket.replacements) out.push(`  cached: ${r.id} ${r.addr}`);
  }
  return out.join('\n') + '\n';
}

export { header as momentHeader };
