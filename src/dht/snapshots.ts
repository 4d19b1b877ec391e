import { invariant } from '../core/errors.js';
import type { NodeIdentity } from '../core/identity.js';
import { signCheckpoint } from '../events/checkpoint-signature.js';
import type { EventStore, SnapshotRecord } from '../events/event-store.js';
import {
  nodeStateToJson,
  rebuildNodeState,
  SNAPSHOT_VERSION,
  STATE_EVENT_TYPES,
  type NodeState,
  type NodeStateJson,
} from '../projections/node-state.js';
import type { NodeDriver } from './node-context.js';

/**
 * Writes a snapshot of the projections as of the last recorded event: a checkpoint whose
 * (seq, hash) is signed with the node key (SPEC §5). Returns null if the journal is paused.
 */
export function takeSnapshot(node: NodeDriver): SnapshotRecord | null {
  if (!node.canRecord()) return null;
  node.store.flush();
  const seq = node.store.lastSeq;
  const hash = node.store.lastHash;
  invariant(node.state.lastSeq === seq, `state at seq ${node.state.lastSeq} but log at ${seq}`);
  const signature = signCheckpoint(node.key, seq, hash);
  const snapshot: SnapshotRecord = {
    seq,
    hash,
    at: node.timers.now(),
    version: SNAPSHOT_VERSION,
    state: JSON.stringify(nodeStateToJson(node.state)),
    signature,
  };
  node.store.saveSnapshot(snapshot);
  node.record('snapshot_written', { seq, hash, signature });
  return snapshot;
}

/**
 * Restart = the latest snapshot + the events after it (SPEC §5). Only the event types the
 * projections fold are read (about 2% of a busy node's log); the state then takes the seq and
 * time of the log's last event.
 */
export function restoreState(store: EventStore, identity: NodeIdentity): NodeState {
  const snapshot = store.latestSnapshot();
  const json = snapshot === null ? null : (JSON.parse(snapshot.state) as NodeStateJson);
  const afterSeq = snapshot?.seq ?? 0;
  const events = store.read({ afterSeq, types: STATE_EVENT_TYPES });
  const state = rebuildNodeState(identity.id, identity.idHex, json, events);
  const last =
    store.lastSeq > afterSeq ? [...store.read({ afterSeq: store.lastSeq - 1 })][0] : undefined;
  if (last !== undefined) {
    state.lastSeq = last.seq;
    state.lastEventAtMs = last.at;
  }
  return state;
}
