import { fromHex } from '../core/bytes.js';
import { TesdError } from '../core/errors.js';
import { ID_BYTES } from '../core/node-id.js';
import { pointerKey, TESSERA_BYTES } from '../core/pointer.js';
import { isEventType, type EventType } from '../events/event-types.js';

/** Checks of what a caller hands the API: each bad value is a TesdError naming it. */

function bytesOf(value: unknown, name: string): Uint8Array | null {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return fromHex(value.toLowerCase());
  throw new TesdError(`bad_${name}`, `${name} must be a hex string or a Uint8Array`);
}

/** A tessera's 32-byte content hash, as 64 hex digits or bytes. */
export function parseTessera(value: unknown): Uint8Array {
  const bytes = bytesOf(value, 'tessera');
  if (bytes === null || bytes.length !== TESSERA_BYTES)
    throw new TesdError(
      'bad_tessera',
      `tessera must be ${TESSERA_BYTES} bytes (${TESSERA_BYTES * 2} hex digits), got ${describe(value, bytes)}`,
    );
  return bytes;
}

/** A 20-byte pointer key, or a 32-byte tessera hash whose key is derived (as `tesd find`). */
export function parseKeyOrTessera(value: unknown): Uint8Array {
  const bytes = bytesOf(value, 'key');
  if (bytes?.length === ID_BYTES) return bytes;
  if (bytes?.length === TESSERA_BYTES) return pointerKey(bytes);
  throw new TesdError(
    'bad_key',
    `key must be a ${ID_BYTES}-byte key or a ${TESSERA_BYTES}-byte tessera hash ` +
      `(${ID_BYTES * 2} or ${TESSERA_BYTES * 2} hex digits), got ${describe(value, bytes)}`,
  );
}

/** A 20-byte node ID or lookup target. */
export function parseTarget(value: unknown): Uint8Array {
  const bytes = bytesOf(value, 'target');
  if (bytes === null || bytes.length !== ID_BYTES)
    throw new TesdError(
      'bad_target',
      `target must be a ${ID_BYTES}-byte ID (${ID_BYTES * 2} hex digits), got ${describe(value, bytes)}`,
    );
  return bytes;
}

export function parseEventTypes(types: unknown): ReadonlySet<EventType> | null {
  if (types === undefined) return null;
  if (!Array.isArray(types) || !types.every((t) => typeof t === 'string' && isEventType(t)))
    throw new TesdError(
      'bad_option',
      `types must be an array of event types (docs/events.md), got ${JSON.stringify(types)}`,
    );
  return new Set<EventType>(types);
}

function describe(value: unknown, bytes: Uint8Array | null): string {
  if (bytes !== null) return `${bytes.length} bytes`;
  return `${JSON.stringify(value)} (not hex)`;
}
