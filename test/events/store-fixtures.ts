import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../src/core/bytes.js';
import { signingKeyFromSecret, type SigningKey } from '../../src/core/ed25519.js';
import { seededRandom } from '../../src/core/random.js';
import { signCheckpoint } from '../../src/events/checkpoint.js';
import type { EventStore, SnapshotRecord } from '../../src/events/event-store.js';
import type { NewEvent } from '../../src/events/event-types.js';
import { eventMix } from './event-mix.js';

/** Shared by the event log tests: temp data dirs, a node key, events and snapshots. */

const openInDir = new Map<string, Array<{ close(): void }>>();

/**
 * A temp data dir, removed when the test ends. Stores and databases handed to closeAtCleanup
 * are closed first: removing the directory under an open store makes its close fail slowly.
 */
export function tempDataDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tesd-events-'));
  openInDir.set(dir, []);
  t.after(() => {
    for (const open of openInDir.get(dir) ?? []) open.close();
    openInDir.delete(dir);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Closes `open` when `dir` (from tempDataDir) is cleaned up, before the directory goes. */
export function closeAtCleanup<T extends { close(): void }>(dir: string, open: T): T {
  const list = openInDir.get(dir);
  if (list === undefined) throw new Error(`${dir} is not a tempDataDir`);
  list.push(open);
  return open;
}

export const nodeKey: SigningKey = signingKeyFromSecret(new Uint8Array(32).fill(7));
export const nodePk = toHex(nodeKey.pk);

export function nodeStarted(at: number): NewEvent {
  return {
    type: 'node_started',
    at,
    peer: null,
    key: null,
    lookup: null,
    data: {
      id: 'aa'.repeat(32),
      pk: nodePk,
      nonce: 1,
      addr: '127.0.0.1:4433',
      version: '0.1.0',
      difficulty: 8,
    },
  };
}

export function mixedEvents(count: number, seed = 1, startAt = 1_700_000_000_000): NewEvent[] {
  const random = seededRandom(seed);
  const mix = eventMix(() => random.float(), 50);
  return Array.from({ length: count }, (_, i) => mix.next(startAt + i * 10));
}

/** A snapshot of the store's current tail, signed by `nodeKey`. */
export function snapshotAt(store: EventStore, key: SigningKey = nodeKey): SnapshotRecord {
  const seq = store.lastSeq;
  const hash = store.lastHash;
  return {
    seq,
    hash,
    at: 1_700_000_000_000 + seq,
    version: 1,
    state: '{}',
    signature: signCheckpoint(key, seq, hash),
  };
}
