import type { NewEvent } from '../../src/events/event-types.js';

/**
 * A realistic event mix for tests and bench/journal.ts: what a busy node writes most
 * (rpc_sent / rpc_received / rpc_completed, peer_seen, lookup_step), with peer, key and
 * lookup filled as the engine fills them.
 */

const OPS = ['ping', 'find_node', 'find_value', 'store'] as const;

function hex(random: () => number, bytes: number): string {
  let out = '';
  for (let i = 0; i < bytes; i++)
    out += Math.floor(random() * 256)
      .toString(16)
      .padStart(2, '0');
  return out;
}

export interface EventMix {
  next(atMs: number): NewEvent;
}

/** `random` returns floats in [0, 1). A node knows a few thousand peers; keys are fresh. */
export function eventMix(random: () => number, peerCount = 2_000): EventMix {
  const peers = Array.from({ length: peerCount }, () => hex(random, 32));
  const addrs = peers.map((_, i) => `10.${(i >> 8) & 255}.${i & 255}.7:4433`);
  let rid = 0;
  let lookup = 0;
  let target = hex(random, 32);
  const pick = (): number => Math.floor(random() * peerCount);
  return {
    next(at: number): NewEvent {
      const p = pick();
      const peer = peers[p]!;
      const addr = addrs[p]!;
      const op = OPS[Math.floor(random() * OPS.length)]!;
      const roll = random();
      if (roll < 0.25) {
        rid++;
        return {
          type: 'rpc_sent',
          at,
          peer,
          key: null,
          lookup: null,
          data: { op, rid, addr, bytes: 120 },
        };
      }
      if (roll < 0.5)
        return {
          type: 'rpc_received',
          at,
          peer,
          key: null,
          lookup: null,
          data: { op, rid: Math.floor(random() * 1e6), addr, bytes: 96 },
        };
      if (roll < 0.7)
        return {
          type: 'rpc_completed',
          at,
          peer,
          key: null,
          lookup: null,
          data: {
            op,
            rid,
            outcome: 'ok',
            latency_ms: Math.floor(random() * 200),
            error_code: null,
          },
        };
      if (roll < 0.85)
        return { type: 'peer_seen', at, peer, key: null, lookup: null, data: { id: peer, addr } };
      const returned = [pick(), pick(), pick()];
      if (random() < 0.1) {
        lookup++;
        target = hex(random, 32);
      }
      return {
        type: 'lookup_step',
        at,
        peer,
        key: target,
        lookup,
        data: {
          peer,
          addr,
          hop: Math.floor(random() * 6),
          outcome: 'ok',
          latency_ms: Math.floor(random() * 200),
          returned: returned.map((i) => peers[i]!),
          returned_addrs: returned.map((i) => addrs[i]!),
          pointers: 0,
        },
      };
    },
  };
}
