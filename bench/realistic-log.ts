import { toHex } from '../src/core/bytes.js';
import { bucketIndex } from '../src/core/distance.js';
import type { Random } from '../src/core/random.js';
import type { NewEvent, PointerData } from '../src/events/event-types.js';

/**
 * A node's log as months of running write it: mostly RPC traffic and lookup steps, with the
 * state events (peers added, seen, failed, evicted; pointers stored, replaced, expired) mixed
 * in, so that replaying it builds a full routing table and pointer store.
 */
export function realisticLog(
  random: Random,
  selfId: Uint8Array,
  startMs: number,
): { next(): NewEvent } {
  const hex = (bytes: number): string => toHex(random.bytes(bytes));
  const peers = Array.from({ length: 2_000 }, () => random.bytes(20));
  const inTable = new Map<string, string>();
  const perBucket = new Map<number, number>();
  const pointers: Array<{ key: string; publisher: string }> = [];
  let at = startMs;
  let seq = 0;
  let lookup = 0;
  const pointerData = (): PointerData => ({
    key: hex(20),
    tessera: hex(32),
    holders: [{ id: hex(20), addr: '198.51.100.7:4433' }],
    fragments: [],
    publisher: hex(32),
    seq: 1,
    expires: Math.floor(at / 1000) + 86_400,
    sig: hex(64),
  });
  const event = (
    type: NewEvent['type'],
    data: unknown,
    peer: string | null = null,
    key: string | null = null,
    lookupId: number | null = null,
  ): NewEvent => ({ type, at, peer, key, lookup: lookupId, data }) as NewEvent;

  const statefulEvent = (): NewEvent | null => {
    const roll = random.float();
    const peerId = peers[random.int(peers.length)]!;
    const idHex = toHex(peerId);
    const addr = `203.0.${random.int(250)}.${random.int(250)}:4433`;
    if (roll < 0.3) {
      const bucket = bucketIndex(selfId, peerId);
      if (inTable.has(idHex) || (perBucket.get(bucket) ?? 0) >= 20) return null;
      inTable.set(idHex, addr);
      perBucket.set(bucket, (perBucket.get(bucket) ?? 0) + 1);
      return event(
        'peer_added',
        { id: idHex, addr, caps: 3, bucket, pk: hex(32), nonce: random.int(1000) },
        idHex,
      );
    }
    if (roll < 0.5 && inTable.has(idHex)) {
      inTable.delete(idHex);
      const bucket = bucketIndex(selfId, peerId);
      perBucket.set(bucket, (perBucket.get(bucket) ?? 1) - 1);
      return event('peer_evicted', { id: idHex, reason: 'unresponsive' }, idHex);
    }
    if (roll < 0.8) {
      const data = pointerData();
      if (pointers.length >= 10_000) {
        const old = pointers.splice(random.int(pointers.length), 1)[0]!;
        pointers.push({ key: data.key, publisher: data.publisher });
        return event('pointer_expired', old, null, old.key);
      }
      pointers.push({ key: data.key, publisher: data.publisher });
      return event('pointer_stored', { ...data, from: addr }, idHex, data.key);
    }
    const known = [...inTable.entries()][random.int(Math.max(1, inTable.size))];
    return known === undefined
      ? null
      : event('peer_seen', { id: known[0], addr: known[1] }, known[0]);
  };

  const trafficEvent = (): NewEvent => {
    const idHex = toHex(peers[random.int(peers.length)]!);
    const addr = `203.0.${random.int(250)}.${random.int(250)}:4433`;
    const roll = random.float();
    if (roll < 0.25)
      return event('rpc_sent', { op: 'find_node', rid: seq, addr, bytes: 140 }, idHex);
    if (roll < 0.5)
      return event('rpc_received', { op: 'find_node', rid: seq, addr, bytes: 140 }, idHex);
    if (roll < 0.75)
      return event(
        'rpc_completed',
        { op: 'find_node', rid: seq, outcome: 'ok', latency_ms: random.int(200), error_code: null },
        idHex,
      );
    if (random.float() < 0.05) lookup = seq;
    const returned = Array.from({ length: 20 }, () => toHex(peers[random.int(peers.length)]!));
    return event(
      'lookup_step',
      {
        peer: idHex,
        addr,
        hop: 1 + random.int(4),
        outcome: 'ok',
        latency_ms: random.int(200),
        returned,
        returned_addrs: returned.map(() => addr),
        pointers: 0,
      },
      idHex,
      null,
      lookup,
    );
  };

  return {
    next(): NewEvent {
      seq++;
      at += 2;
      // About 2% of a busy node's events change its state; the rest is traffic.
      if (random.float() < 0.02) return statefulEvent() ?? trafficEvent();
      return trafficEvent();
    },
  };
}
