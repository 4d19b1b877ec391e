import { invariant } from '../core/errors.js';
import type { NodeIdentity } from '../core/identity.js';
import { signCheckpoint } from '../events/checkpoint.js';
import type { EventStore, SnapshotRecord } from '../events/event-store.js';
import {
  nodeStateToJson,
  rebuildNodeState,
  SNAPSHOT_VERSION,
  type NodeState,
  type NodeStateJson,
} from '../projections/node-state.js';
import type { DhtNode } from './dht-node.js';

/**
 * Writes a snapshot of the projections as of the last recorded event: a checkpoint whose
 * (seq, hash) is signed with the node key (SPEC §5). Returns null if the journal is paused.
 */
export function takeSnapshot(node: DhtNode): SnapshotRecord | null {
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

/** Restart = the latest snapshot + the events after it (SPEC §5). */
export function restoreState(
  store: EventStore,
  identity: NodeIdentity,
  untilSeq?: number,
): NodeState {
  let snapshot = store.latestSnapshot();
  if (snapshot !== null && untilSeq !== undefined && snapshot.seq > untilSeq) snapshot = null;
  const json = snapshot === null ? null : (JSON.parse(snapshot.state) as NodeStateJson);
  const events = store.read(
    untilSeq === undefined
      ? { afterSeq: snapshot?.seq ?? 0 }
      : { afterSeq: snapshot?.seq ?? 0, untilSeq },
  );
  return rebuildNodeState(identity.id, identity.idHex, json, events);
}
