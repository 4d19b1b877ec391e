import { toHex } from '../core/bytes.js';
import { servesDht, type PeerInfo } from '../core/node-info.js';
import { checkPointer, type Pointer } from '../core/pointer.js';
import type { Response } from '../net/messages.js';
import { groupOf } from './diversity.js';
import type { LookupPlanner } from './lookup-planner.js';
import type { EngineView } from './node-context.js';
import type { Candidate } from './shortlist.js';
import { listedPeer } from './wire-peers.js';
import { idHexOf } from '../projections/peer-identity.js';

/**
 * What an answer brings to a lookup (lookup-machine.ts): the peers it lists become candidates
 * (hop + 1, within the planner's caps), and the valid pointers for the target are merged by
 * publisher, highest seq kept. The lookup's state is passed as the parts this needs.
 */
export interface AnswerSink {
  readonly view: EngineView;
  readonly planner: LookupPlanner;
  readonly targetHex: string;
  readonly pointers: Map<string, Pointer>;
}

/** Offers `peer` to the planner as a candidate; false if it is ourselves, no DHT peer or known. */
export function consider(lookup: AnswerSink, peer: PeerInfo, hop: number): boolean {
  const { view, planner } = lookup;
  // Most peers of an answer are already candidates: no group to work out for them.
  if (!servesDht(peer.caps) || planner.getPeer(peer) !== undefined) return false;
  if (idHexOf(peer) === view.identity.idHex) return false;
  return planner.consider(peer, hop, groupOf(peer.addr, view.config));
}

/**
 * The valid peers an answer listed, as its step records them: IDs, and addresses beside.
 * Made at the answer's size and cut to what was kept (growing two lists by push, 20 times
 * per answer, reallocated each of them four times).
 */
export class Returned {
  readonly ids: string[];
  readonly addrs: string[];
  private count = 0;

  constructor(capacity: number) {
    this.ids = new Array<string>(capacity);
    this.addrs = new Array<string>(capacity);
  }

  add(peer: PeerInfo): void {
    this.ids[this.count] = idHexOf(peer);
    this.addrs[this.count] = peer.addr;
    this.count++;
  }

  /** Cuts the lists to the peers added. */
  close(): this {
    this.ids.length = this.count;
    this.addrs.length = this.count;
    return this;
  }
}

/** How many peers an answer lists (what its Returned is made for). */
export function listedCount(response: Response): number {
  return response.op === 'nodes' || response.op === 'value' ? response.nodes.length : 0;
}

/**
 * Takes the nodes and pointers of an answer, noting the valid peers in `returned`; returns
 * how many valid pointers it held.
 */
export function absorb(
  lookup: AnswerSink,
  from: Candidate,
  response: Response,
  returned: Returned,
  nowMs: number,
): number {
  if (response.op !== 'nodes' && response.op !== 'value') return 0;
  const { view } = lookup;
  const { nodes } = response;
  for (let i = 0; i < nodes.length; i++) {
    const peer = listedPeer(nodes, i, view.identities, view.config.difficulty);
    if (typeof peer === 'string') continue;
    returned.add(peer);
    consider(lookup, peer, from.hop + 1);
  }
  if (response.op !== 'value') return 0;
  let valid = 0;
  for (const pointer of response.pointers) {
    if (toHex(pointer.key) !== lookup.targetHex || checkPointer(pointer, nowMs) !== null) continue;
    valid++;
    const publisher = toHex(pointer.publisher);
    const known = lookup.pointers.get(publisher);
    if (known === undefined || known.seq < pointer.seq) lookup.pointers.set(publisher, pointer);
  }
  return valid;
}
