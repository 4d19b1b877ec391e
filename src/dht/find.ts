import { fromHex, toHex } from '../core/bytes.js';
import type { Pointer } from '../core/pointer.js';
import { pointersFor } from '../projections/pointer-store.js';
import type { NodeDriver } from './node-context.js';
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
  lookup(node, request, (result) => {
    const nowS = node.timers.now() / 1000;
    const merged = new Map<string, Pointer>();
    const local = pointersFor(node.state.pointers, keyHex)
      .map((e) => e.pointer)
      .filter((p) => p.expires > nowS);
    for (const pointer of [...result.pointers, ...local]) {
      const publisher = toHex(pointer.publisher);
      const known = merged.get(publisher);
      if (known === undefined || known.seq < pointer.seq) merged.set(publisher, pointer);
    }
    done({
      key: keyHex,
      pointers: [...merged.values()].sort((a, b) => b.seq - a.seq),
      lookup: result,
    });
  });
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
