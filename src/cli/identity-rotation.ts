import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '../core/bytes.js';
import { seededRandom } from '../core/random.js';
import { createNode } from '../dht/create-node.js';
import { takeSnapshot } from '../dht/snapshots.js';
import { acquireDataDirLock } from '../events/data-dir-lock.js';
import { EVENTS_DB_FILE, SqliteEventStore } from '../events/sqlite-event-store.js';
import type { Transport } from '../net/transport.js';
import { realTimers } from '../net/real-timers.js';
import {
  generateIdentity,
  readIdentity,
  writeIdentity,
  type LoadedIdentity,
} from './identity-file.js';

/**
 * `tesd identity --rotate`: a new key and ID for a stopped node. The routing table is laid
 * out by distance to the old ID, so before the switch every peer is evicted with reason
 * `identity_rotated` and a snapshot is taken under the old key (which verify still knows from
 * its node_started events); the next start fills a table for the new ID by bootstrapping.
 * Stored pointers are kept: they are other publishers' and still valid.
 */

/** Nothing is sent: the node only records evictions and a snapshot. */
const offlineTransport: Transport = {
  localAddr: '0.0.0.0:0',
  listen: () => undefined,
  request: (_addr, _frame, _timeoutMs, done) =>
    done({ ok: false, failure: 'closed', message: 'offline' }),
  disconnect: () => undefined,
  close: () => Promise.resolve(),
};

export interface RotationResult {
  readonly previous: LoadedIdentity | null;
  readonly next: LoadedIdentity;
  readonly evicted: number;
}

export function rotateIdentity(dataDir: string, difficulty: number): RotationResult {
  const lock = acquireDataDirLock(dataDir);
  try {
    const previous = readIdentity(dataDir);
    let evicted = 0;
    if (previous !== null && existsSync(join(dataDir, EVENTS_DB_FILE)))
      evicted = evictAll(dataDir, previous);
    const { key, identity } = generateIdentity(difficulty);
    const path = writeIdentity(dataDir, key, identity);
    const next = readIdentity(dataDir);
    return { previous, next: next ?? { key, identity, workBits: difficulty, path }, evicted };
  } finally {
    lock.release();
  }
}

function evictAll(dataDir: string, previous: LoadedIdentity): number {
  const store = SqliteEventStore.open(dataDir, { lock: false, pk: toHex(previous.key.pk) });
  try {
    const node = createNode({
      key: previous.key,
      identity: previous.identity,
      transport: offlineTransport,
      timers: realTimers,
      random: seededRandom(0),
      store,
    });
    const ids = new Set<string>();
    for (const bucket of node.state.routing.buckets) {
      for (const peer of bucket?.peers ?? []) ids.add(peer.identity.idHex);
      for (const peer of bucket?.replacements ?? []) ids.add(peer.identity.idHex);
    }
    for (const id of ids)
      node.record('peer_evicted', { id, reason: 'identity_rotated' }, { peer: id });
    takeSnapshot(node);
    return ids.size;
  } finally {
    store.close();
  }
}
