import type { Body } from '../../net/messages.js';
import type { RemotePeer } from '../../net/transport.js';

/** `ping` answers `pong` with the address we observed, so a node behind NAT learns its own. */
export function handlePing(remote: RemotePeer): Body {
  return { res: { op: 'pong', observed: remote.addr } };
}
