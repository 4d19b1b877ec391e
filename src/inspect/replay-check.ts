import { Caps, type PeerInfo } from '../core/node-info.js';
import { parseNodeId } from '../core/node-id.js';
import { DEFAULT_CONFIG, makeConfig } from '../dht/config.js';
import { groupOf } from '../dht/diversity.js';
import { LookupPlanner, type PlannerSettings } from '../dht/lookup-planner.js';
import type { KnownPeer, LookupRecord } from './lookup-record.js';
import { replaySeeds } from './lookup-replay.js';

/**
 * `tesd replay --check`: drives the current engine's LookupPlanner with the answers recorded
 * in the log, in their recorded order, and compares each decision (which peers to query,
 * when to stop) with what the recorded run did. Deterministic, no network, no clock: the
 * deadline is the one decision the planner does not make, so a recorded `deadline` end only
 * requires the planner to have still been going.
 */

export interface CheckOptions {
  readonly k?: number;
  readonly alpha?: number;
  readonly perGroup?: number;
  /** Apply the /24 cap to loopback addresses too (a node run with --strict-ip-diversity). */
  readonly strictIpDiversity?: boolean;
}

export interface Divergence {
  /** 0 = the initial queries, n = right after the n-th recorded step. */
  readonly step: number;
  /** The seq of the event where the runs part. */
  readonly seq: number;
  readonly recorded: string;
  readonly current: string;
}

export interface CheckReport {
  readonly matches: boolean;
  readonly stepsChecked: number;
  readonly settings: PlannerSettings;
  readonly divergence: Divergence | null;
  /** What the check could not know from the log (stated, not hidden). */
  readonly caveats: string[];
}

/** The planner only reads IDs (and the driver the address's /24): the rest is a placeholder. */
function peerInfo(peer: KnownPeer): PeerInfo | null {
  const id = parseNodeId(peer.id);
  if (id === null) return null;
  const identity = { id, idHex: peer.id, pk: new Uint8Array(32), nonce: 0 };
  return { identity, addr: peer.addr ?? '', caps: Caps.DHT };
}

function describe(ids: string[]): string {
  return ids.length === 0 ? 'no new query' : `query ${ids.map((id) => id.slice(0, 8)).join(', ')}`;
}

export function settingsFor(record: LookupRecord, options: CheckOptions = {}): PlannerSettings {
  // find --all is not recorded: a value lookup that went on after pointers had arrived was one.
  const pointersSeen = record.steps.some((s) => s.data.pointers > 0);
  const all = pointersSeen && record.finished !== null && record.finished.data.reason !== 'found';
  return {
    k: options.k ?? DEFAULT_CONFIG.k,
    alpha: options.alpha ?? DEFAULT_CONFIG.alpha,
    perGroup: options.perGroup ?? DEFAULT_CONFIG.maxPeersPerGroupPerBucket,
    stopAtFirstValue: record.kind === 'value' && !all,
  };
}

export function checkReplay(record: LookupRecord, options: CheckOptions = {}): CheckReport {
  const settings = settingsFor(record, options);
  const config = makeConfig({ strictIpDiversity: options.strictIpDiversity ?? false });
  const planner = new LookupPlanner(record.targetId, settings);
  // Addresses the lookup used: the candidates' /24 groups shape the window.
  const addrs = new Map<string, string>();
  for (const seed of record.tableSeeds) if (seed.addr !== null) addrs.set(seed.id, seed.addr);
  for (const rpc of record.sent) addrs.set(rpc.peer, rpc.addr);
  for (const step of record.steps) addrs.set(step.data.peer, step.data.addr);
  let unknownAddrs = 0;
  const consider = (peer: KnownPeer, hop: number): void => {
    if (peer.id === record.selfHex) return;
    const addr = peer.addr ?? addrs.get(peer.id) ?? null;
    const info = peerInfo({ id: peer.id, addr });
    if (info === null) return;
    const added = planner.consider(info, hop, addr === null ? null : groupOf(addr, config));
    if (added && addr === null) unknownAddrs++;
  };
  for (const seed of replaySeeds(record)) consider(seed, 1);

  const report = (divergence: Divergence | null, stepsChecked: number): CheckReport => {
    const caveats: string[] = [];
    if (unknownAddrs > 0)
      caveats.push(
        `${unknownAddrs} candidates were never queried and their addresses are not in the log: ` +
          'they count as exempt from the /24 cap',
      );
    return { matches: divergence === null, stepsChecked, settings, divergence, caveats };
  };

  // The recorded queries between two steps, and whether the lookup finished there.
  const sentBetween = (afterSeq: number, beforeSeq: number): string[] =>
    record.sent.filter((s) => s.seq > afterSeq && s.seq < beforeSeq).map((s) => s.peer);
  const finishedSeq = record.finished?.seq ?? Infinity;

  const compare = (step: number, afterSeq: number, nextSeq: number): Divergence | null => {
    const planned = planner.nextQueries().map((c) => c.peer.identity.idHex);
    const recorded = sentBetween(afterSeq, Math.min(nextSeq, finishedSeq));
    if (planned.join() !== recorded.join())
      return { step, seq: afterSeq, recorded: describe(recorded), current: describe(planned) };
    const outcome = planner.outcome();
    const endsHere = finishedSeq < nextSeq;
    const recordedEnd = endsHere ? (record.finished?.data.reason ?? null) : null;
    if (outcome !== null && recordedEnd !== outcome)
      return {
        step,
        seq: afterSeq,
        recorded: recordedEnd === null ? 'go on' : `end (${recordedEnd})`,
        current: `end (${outcome})`,
      };
    if (outcome === null && endsHere && recordedEnd !== 'deadline')
      return {
        step,
        seq: afterSeq,
        recorded: `end (${recordedEnd ?? '?'})`,
        current: `go on (${planner.inflight} in flight)`,
      };
    return null;
  };

  const steps = record.steps;
  const first = compare(0, record.id, steps[0]?.seq ?? Infinity);
  if (first !== null) return report(first, 0);
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    const d = step.data;
    const candidate = planner.get(d.peer);
    // A query past its soft timeout is still awaited: its answer or hard timeout comes later.
    const awaited = d.outcome === 'slow' ? ['inflight'] : ['inflight', 'slow'];
    if (candidate === undefined || !awaited.includes(candidate.state))
      return report(
        {
          step: i + 1,
          seq: step.seq,
          recorded: `answer from ${d.peer.slice(0, 8)}`,
          current: `${d.peer.slice(0, 8)} was never queried`,
        },
        i,
      );
    if (d.outcome === 'slow') {
      planner.slow(candidate);
    } else if (d.outcome === 'ok') {
      planner.answered(candidate, d.pointers > 0);
      d.returned.forEach((id, i) =>
        consider({ id, addr: d.returned_addrs?.[i] ?? null }, candidate.hop + 1),
      );
    } else {
      planner.failed(candidate);
    }
    const divergence = compare(i + 1, step.seq, steps[i + 1]?.seq ?? Infinity);
    if (divergence !== null) return report(divergence, i + 1);
  }
  return report(null, steps.length);
}

export function renderCheck(report: CheckReport): string {
  const s = report.settings;
  const lines = [
    `checked against the current LookupPlanner (k=${s.k}, alpha=${s.alpha}, ` +
      `${s.perGroup} per /24, stop at first value: ${s.stopAtFirstValue})`,
  ];
  const d = report.divergence;
  if (d === null) {
    lines.push(`MATCHES: all ${report.stepsChecked} recorded steps decided the same way`);
  } else {
    const where = d.step === 0 ? 'at the start' : `after step ${d.step} (event ${d.seq})`;
    lines.push(
      `DIVERGES ${where}:`,
      `  recorded run: ${d.recorded}`,
      `  current code: ${d.current}`,
    );
  }
  for (const caveat of report.caveats) lines.push(`note: ${caveat}`);
  return lines.join('\n') + '\n';
}
