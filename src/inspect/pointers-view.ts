import type { PointerData } from '../events/event-types.js';
import { pointersToJson } from '../projections/pointer-store.js';
import { renderTable } from './format-table.js';
import { momentHeader } from './routing-view.js';
import type { StateAt } from './time-travel.js';
import { formatTime } from './time-spec.js';

/** `tesd pointers`: the pointer store (and this node's own publications) at a moment. */
export interface PointersView {
  seq: number;
  at_ms: number | null;
  snapshot_seq: number | null;
  stored: Array<PointerData & { from: string; stored_at_ms: number }>;
  published: PointerData[];
}

export function pointersView(at: StateAt): PointersView {
  const json = pointersToJson(at.state.pointers);
  return { seq: at.seq, at_ms: at.atMs, snapshot_seq: at.snapshotSeq, ...json };
}

export function renderPointers(view: PointersView, maxWidth = Infinity): string {
  const out = [`${view.stored.length} stored pointers, ${momentHeader(view)}`];
  if (view.stored.length > 0) {
    const rows = view.stored.map((p) => [
      p.key,
      p.publisher.slice(0, 16),
      p.seq,
      formatTime(p.expires * 1_000),
      p.holders.length,
      p.from,
      p.tessera,
    ]);
    out.push(
      renderTable(
        ['key', 'publisher', 'seq', 'expires', 'holders', 'from', 'tessera'],
        rows,
        maxWidth,
      ).trimEnd(),
    );
  }
  out.push('', `${view.published.length} published by this node`);
  if (view.published.length > 0) {
    const rows = view.published.map((p) => [
      p.key,
      p.seq,
      formatTime(p.expires * 1_000),
      p.tessera,
    ]);
    out.push(renderTable(['key', 'seq', 'expires', 'tessera'], rows, maxWidth).trimEnd());
  }
  return out.join('\n') + '\n';
}
