import { groupOf } from './diversity.js';
import type { DhtConfig } from './config.js';
import type { RateLimiter } from './rate-limiter.js';

/**
 * Admission before work (SPEC §3.1, issue 11): whether a request from `addr` is served at
 * all, decided before its frame is decoded or its sender verified, so that refusing a flood
 * costs a map lookup and a small error answer. Loopback is exempt unless the node runs with
 * strict IP diversity, like the /24 caps.
 */
export function admitted(
  limiter: RateLimiter,
  config: DhtConfig,
  addr: string,
  nowMs: number,
): boolean {
  return groupOf(addr, config) === null || limiter.allow(addr, nowMs);
}

/**
 * The `rid` of a request frame without decoding it, so a refusal can still be matched by the
 * client: canonical encoding (SPEC §3.3) puts `v: 1` then `rid` first in a 4-entry map.
 * 0 when the frame does not start that way (it will not be served either way).
 */
export function peekRid(frame: Uint8Array): number {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (frame.length < 13) return 0;
  for (let i = 0; i < RID_PREFIX.length; i++) if (frame[4 + i] !== RID_PREFIX[i]) return 0;
  const type = frame[12]!;
  if (type < 0x80) return type;
  if (type === 0xcc && frame.length >= 14) return view.getUint8(13);
  if (type === 0xcd && frame.length >= 15) return view.getUint16(13);
  if (type === 0xce && frame.length >= 17) return view.getUint32(13);
  return 0;
}

/** fixmap(4), "v", 1, "rid": the canonical start of every WireMessage. */
const RID_PREFIX = [0x84, 0xa1, 0x76, 0x01, 0xa3, 0x72, 0x69, 0x64];
