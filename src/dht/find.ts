import { fromHex, toHex } from '../core/bytes.js';
import type { Pointer } from '../core/pointer.js';
import { pointersFor } from '../projections/pointer-store.js';
import type { EngineView, NodeDriver } from './node-context.js';
import { lookup, type LookupResult } from './iterative-lookup.js';
import type { LookupStep } from './lookup-steps.js';

export interface FindResult {
  readonly key: string;
  readonly pointers: Pointer[];
  readonly lookup: LookupResult;
}

/**
 * SPEC §4.3 find: an iterative find_value that returns once some node answered with pointers
 * and the RPCs in flight are back (`all` runs it to the end). Pointers are merged by
 * publisher, highest seq kept, with the ones this node holds itself.
 */
export function find(
  node: NodeDriver,
  key: Uint8Array,
  options: { all?: boolean; onStep?: (step: LookupStep) => void },
  done: (result: FindResult) => void,
): void {
  const keyHex = toHex(key);
  const request = {
    target: key,
    kind: 'value',
    all: options.all === true,
    ...(options.onStep === undefined ? {} : { onStep: options.onStep }),
  } as const;
  lookup(node, request, (result) =>
    done({
      key: keyHex,
      pointers: foundPointers(node, keyHex, result, node.timers.now()),
      lookup: result,
    }),
  );
}

/**
 * The pointers a find returns: those the lookup found and the unexpired ones this node holds,
 * merged by publisher (highest seq kept), highest seq first.
 */
export function foundPointers(
  view: EngineView,
  keyHex: string,
  result: LookupResult,
  nowMs: number,
): Pointer[] {
  const nowS = nowMs / 1000;
  const merged = new Map<string, Pointer>();
  const local = pointersFor(view.state.pointers, keyHex)
    .map((e) => e.pointer)
    .filter((p) => p.expires > nowS);
  for (const pointer of [...result.pointers, ...local]) {
    const publisher = toHex(pointer.publisher);
    const known = merged.get(publisher);
    if (known === undefined || known.seq < pointer.seq) merged.set(publisher, pointer);
  }
  return [...merged.values()].sort((a, b) => b.seq - a.seq);
}

/** A key given as 40 hex digits, or a 64-hex-digit tessera hash whose key is derived. */
export function parseKeyOrTessera(
  hex: string,
  pointerKeyOf: (tessera: Uint8Array) => Uint8Array,
): Uint8Array | null {
  const bytes = fromHex(hex);
  if (bytes === null) return null;
  if (bytes.length === 20) return bytes;
  if (bytes.length === 32) return pointerKeyOf(bytes);
  return null;
}
