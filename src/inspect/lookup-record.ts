import { TesdError } from '../core/errors.js';
import { parseNodeId, type NodeId } from '../core/node-id.js';
import type { EventDataMap, LookupKind, StoredEvent } from '../events/event-types.js';
import type { SqliteEventStore } from '../events/sqlite-event-store.js';
import { closestPeers } from '../projections/routing-table.js';
import { stateAt } from './time-travel.js';

/** A peer as the log knows it: an ID and, where recorded, the address the lookup used. */
export interface KnownPeer {
  readonly id: string;
  readonly addr: string | null;
}

/** One RPC the lookup sent (an `rpc_sent` event with its lookup column set). */
export interface SentRpc {
  readonly seq: number;
  readonly atMs: number;
  readonly peer: string;
  readonly addr: string;
}

/** One answer or failure (a `lookup_step` event). */
export interface RecordedStep {
  readonly seq: number;
  readonly atMs: number;
  readonly data: EventDataMap['lookup_step'];
}

/**
 * Everything the log holds about one lookup: how it started (with the routing table it started
 * from, by time travel to the event before it), the RPCs it sent, its steps and how it ended.
 */
export interface LookupRecord {
  readonly id: number;
  readonly target: string;
  readonly targetId: NodeId;
  readonly kind: LookupKind;
  readonly startedAtMs: number;
  readonly selfHex: string;
  /** Candidates from the routing table at the start (the k closest), closest first. */
  readonly tableSeeds: KnownPeer[];
  readonly sent: SentRpc[];
  readonly steps: RecordedStep[];
  readonly finished: { seq: number; atMs: number; data: EventDataMap['lookup_finished'] } | null;
  /** Every event of the lookup, in order (rpc_sent, rpc_completed, lookup_step, ...). */
  readonly events: StoredEvent[];
}

/** k used to seed from the table; the log does not record the node's configuration. */
export const DEFAULT_SEED_COUNT = 20;

/** The k closest peers of the table before the lookup; none if retention deleted that past. */
function tableAt(
  store: SqliteEventStore,
  seq: number,
  target: NodeId,
  count: number,
): { tableSeeds: KnownPeer[]; selfHex: string } {
  try {
    const { routing } = stateAt(store, { seq }).state;
    const tableSeeds = closestPeers(routing, target, count).map((peer) => ({
      id: peer.identity.idHex,
      addr: peer.addr,
    }));
    return { tableSeeds, selfHex: routing.selfHex };
  } catch (error) {
    if (!(error instanceof TesdError) || error.code !== 'history_gone') throw error;
    return { tableSeeds: [], selfHex: '' };
  }
}

export function loadLookup(
  store: SqliteEventStore,
  id: number,
  seedCount = DEFAULT_SEED_COUNT,
): LookupRecord {
  const [started] = [...store.read({ afterSeq: id - 1, untilSeq: id })];
  if (started === undefined || started.type !== 'lookup_started')
    throw new TesdError(
      'no_lookup',
      `no lookup ${id}: a lookup's id is the seq of its lookup_started event (see tesd lookups)`,
    );
  const target = started.data.target;
  const targetId = parseNodeId(target);
  if (targetId === null) throw new TesdError('bad_log', `lookup ${id} has a malformed target`);
  const table = tableAt(store, id - 1, targetId, seedCount);
  const { selfHex } = table;
  // Lookups record their exact seeds; older logs fall back to the table at that moment.
  const recorded = started.data.seeds as string[] | undefined;
  const tableSeeds =
    recorded === undefined
      ? table.tableSeeds
      : recorded.map((seedId, i) => ({ id: seedId, addr: started.data.seed_addrs[i] ?? null }));
  const events = [...store.read({ lookup: id })];
  const sent: SentRpc[] = [];
  const steps: RecordedStep[] = [];
  let finished: LookupRecord['finished'] = null;
  for (const event of events) {
    // A publish's store RPCs carry its lookup's id too: only the lookup's own queries count.
    const query =
      event.type === 'rpc_sent' &&
      (event.data.op === 'find_node' || event.data.op === 'find_value');
    if (event.type === 'rpc_sent' && event.peer !== null && query)
      sent.push({ seq: event.seq, atMs: event.at, peer: event.peer, addr: event.data.addr });
    else if (event.type === 'lookup_step')
      steps.push({ seq: event.seq, atMs: event.at, data: event.data });
    else if (event.type === 'lookup_finished')
      finished = {
        seq: event.seq,
        atMs: event.at,
        data: event.data,
      };
  }
  return {
    id,
    target,
    targetId,
    kind: started.data.kind,
    startedAtMs: started.at,
    selfHex,
    tableSeeds,
    sent,
    steps,
    finished,
    events,
  };
}
