import { isIpv6, isSiteScoped, parseAddress } from '../core/address.js';

/**
 * What one inbound request proves about our reachability (issue 15; docs/protocol.md,
 * Reachability). A request that reached us over a connection the sender opened passed any NAT
 * or firewall in front of us. It proves that unsolicited connections reach the address we
 * advertise only if our own traffic cannot have opened the way: we had no traffic with the
 * sender's host within a NAT's mapping lifetime (no request of ours, which opens a mapping,
 * and no request of its, which keeps one alive), it came in over the family of that address,
 * and it did not come from our own site to an address the Internet sees.
 */

/**
 * How long after our last traffic with a host its packets may still pass a NAT in front of us:
 * RFC 4787 (REQ-5) has UDP mappings last at least 2 minutes and recommends 5 or more; Linux
 * conntrack keeps an answered UDP flow 2 to 3 minutes. Our pooled connection to the host
 * closes 30 s after its last RPC, so its last packet is that much later than the request.
 * Six minutes covers a NAT that follows the recommendation; one that keeps mappings longer
 * can make a node behind it look reachable until a check round finds no probe getting through.
 */
export const NAT_MAPPING_WINDOW_MS = 6 * 60_000;

export type InboundVerdict =
  /** Nothing of ours can have opened the way: unsolicited connections reach us. */
  | 'proof'
  /** We had traffic with the host within NAT_MAPPING_WINDOW_MS: our NAT may let it through. */
  | 'contacted'
  /** It came over the other IP family than our advertised address: that address is untested. */
  | 'other_family'
  /** From our own site (private, link-local...) while we advertise an address the Internet sees. */
  | 'same_site'
  | 'invalid';

/**
 * The verdict on a request from `remoteAddr` (as the transport observed it) at `nowMs`, when we
 * advertise `advertisedAddr` and last had traffic with that host at `lastContactAtMs`
 * (undefined: never, or forgotten).
 */
export function judgeInbound(
  remoteAddr: string,
  advertisedAddr: string,
  lastContactAtMs: number | undefined,
  nowMs: number,
): InboundVerdict {
  const remote = parseAddress(remoteAddr);
  const advertised = parseAddress(advertisedAddr);
  if (remote === null || advertised === null) return 'invalid';
  if (isIpv6(remote.host) !== isIpv6(advertised.host)) return 'other_family';
  if (isSiteScoped(remote.host) && !isSiteScoped(advertised.host)) return 'same_site';
  return mayPassMapping(lastContactAtMs, nowMs) ? 'contacted' : 'proof';
}

/** Whether a host we last had traffic with at `lastContactAtMs` may still pass our NAT's mapping. */
export function mayPassMapping(lastContactAtMs: number | undefined, nowMs: number): boolean {
  return lastContactAtMs !== undefined && nowMs - lastContactAtMs < NAT_MAPPING_WINDOW_MS;
}
