import { addressGroups, INVALID_GROUPS } from './network-groups.js';
import type { Pointer } from '../core/pointer.js';
import type { EventOf, EventType, PointerData, StoredEvent } from '../events/event-types.js';
import { unreachable } from './unreachable.js';
import { pointerFromData } from './pointer-data.js';

/** One stored pointer with where it came from (for the per-source quota of SPEC §4.2). */
export interface StoredPointer {
  readonly pointer: Pointer;
  readonly data: PointerData;
  readonly storedAtMs: number;
  readonly from: string;
  readonly sourceGroup: string;
}

/**
 * The pointer store as a fold over events (SPEC §4.2), updated in place like the routing
 * table. Also holds this node's own publications, which it republishes.
 */
export interface PointerState {
  /** key hex -> publisher hex -> pointer. */
  readonly byKey: Map<string, Map<string, StoredPointer>>;
  readonly perPublisher: Map<string, number>;
  readonly perSourceGroup: Map<string, number>;
  /** This node's own latest publication per key. */
  readonly published: Map<string, PointerData>;
  size: number;
}

export function emptyPointers(): PointerState {
  return {
    byKey: new Map(),
    perPublisher: new Map(),
    perSourceGroup: new Map(),
    published: new Map(),
    size: 0,
  };
}

/** The per-source quota's group (SPEC §4.2): an IPv4 /24, an IPv6 /48 (one site's allocation). */
export function sourceGroupOf(addr: string): string {
  const groups = addressGroups(addr);
  return groups === INVALID_GROUPS ? addr : groups.table;
}

/** The events the pointer store folds: restart reads exactly these (with the routing table's). */
export const POINTER_EVENT_TYPES = [
  'pointer_published',
  'pointer_stored',
  'pointer_replaced',
  'pointer_expired',
  'pointer_evicted',
] as const satisfies readonly EventType[];

type PointerEvent = EventOf<(typeof POINTER_EVENT_TYPES)[number]>;
const pointerTypes = new Set<string>(POINTER_EVENT_TYPES);

export function evolvePointers(state: PointerState, event: StoredEvent): PointerState {
  return pointerTypes.has(event.type) ? foldPointers(state, event as PointerEvent) : state;
}

/** Exhaustive over POINTER_EVENT_TYPES: a type listed but not folded fails the type check. */
function foldPointers(state: PointerState, event: PointerEvent): PointerState {
  switch (event.type) {
    case 'pointer_stored':
    case 'pointer_replaced': {
      const { from, ...data } = event.data;
      remove(state, data.key, data.publisher);
      const entry = {
        pointer: pointerFromData(data),
        data,
        storedAtMs: event.at,
        from,
        sourceGroup: sourceGroupOf(from),
      };
      let publishers = state.byKey.get(data.key);
      if (publishers === undefined) {
        publishers = new Map();
        state.byKey.set(data.key, publishers);
      }
      publishers.set(data.publisher, entry);
      bump(state.perPublisher, data.publisher, 1);
      bump(state.perSourceGroup, entry.sourceGroup, 1);
      state.size++;
      return state;
    }
    case 'pointer_expired':
    case 'pointer_evicted':
      remove(state, event.data.key, event.data.publisher);
      return state;
    case 'pointer_published':
      state.published.set(event.data.key, event.data);
      return state;
    default:
      return unreachable(event);
  }
}

function remove(state: PointerState, keyHex: string, publisherHex: string): void {
  const publishers = state.byKey.get(keyHex);
  const entry = publishers?.get(publisherHex);
  if (publishers === undefined || entry === undefined) return;
  publishers.delete(publisherHex);
  if (publishers.size === 0) state.byKey.delete(keyHex);
  bump(state.perPublisher, publisherHex, -1);
  bump(state.perSourceGroup, entry.sourceGroup, -1);
  state.size--;
}

function bump(counts: Map<string, number>, name: string, delta: number): void {
  const next = (counts.get(name) ?? 0) + delta;
  if (next === 0) counts.delete(name);
  else counts.set(name, next);
}

export function pointersFor(state: PointerState, keyHex: string): StoredPointer[] {
  return [...(state.byKey.get(keyHex)?.values() ?? [])].sort(
    (a, b) => b.pointer.seq - a.pointer.seq,
  );
}

export function allPointers(state: PointerState): StoredPointer[] {
  return [...state.byKey.values()].flatMap((publishers) => [...publishers.values()]);
}

export interface PointersJson {
  stored: Array<PointerData & { from: string; stored_at_ms: number }>;
  published: PointerData[];
}

/** Canonical plain form: snapshots and the rebuild-equals-live checker. */
export function pointersToJson(state: PointerState): PointersJson {
  const stored = allPointers(state)
    .map((e) => ({ ...e.data, from: e.from, stored_at_ms: e.storedAtMs }))
    .sort((a, b) => (a.key + a.publisher < b.key + b.publisher ? -1 : 1));
  const published = [...state.published.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
  return { stored, published };
}

export function pointersFromJson(json: PointersJson): PointerState {
  const state = emptyPointers();
  for (const { from, stored_at_ms, ...data } of json.stored) {
    evolvePointers(state, {
      type: 'pointer_stored',
      at: stored_at_ms,
      peer: null,
      key: data.key,
      lookup: null,
      data: { ...data, from },
      seq: 0,
      hash: '',
    });
  }
  for (const data of json.published) state.published.set(data.key, data);
  return state;
}
