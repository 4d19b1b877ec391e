import { parseAddress, sourceHost } from '../core/address.js';
import type { PeerInfo } from '../core/node-info.js';
import { lookup } from './iterative-lookup.js';
import type { DhtConfig } from './config.js';
import type { NodeDriver } from './node-context.js';
import { judgeInbound, mayPassMapping, NAT_MAPPING_WINDOW_MS } from './reachability-evidence.js';
import type { Request } from '../net/messages.js';
import { capsFor, decideStatus, type ReachabilityStatus } from './reachability-status.js';
import {
  openRound,
  peersToAsk,
  roundStep,
  type Round,
  type RoundInput,
} from './reachability-round.js';
import { sendRpc, type RpcResult } from './rpc-client.js';

/**
 * Reachability (issue 15 item 2; docs/protocol.md "Reachability"). A node learns whether
 * unsolicited inbound connections reach it in two ways. Passively: a request arrives from a
 * host it sent nothing to within a NAT's mapping lifetime (a newcomer bootstrapping through
 * it, a lookup, someone's probe): reachability-evidence.ts judges it. Actively: it asks peers
 * (`dial_back`) to have a third node dial its observed address (`dial` → `probe`); only a
 * probe the same rule accepts counts, and two rounds in which third nodes dialled and nothing
 * at all arrived make it unreachable. In `auto` mode the node advertises the DHT capability
 * only once reachable, so public routing tables never hold a node others cannot reach.
 */

/** The caps a node advertises: its configured caps, without DHT unless its mode and reachability allow it. */
export function advertisedCaps(node: NodeDriver): number {
  return capsFor(node.reach.mode, node.reach.status, node.config.caps);
}

/**
 * Starts the checks: one now, then every retry (while not reachable) or recheck interval; and
 * from now on every verified request we receive is judged as evidence.
 */
export function startReachabilityChecks(node: NodeDriver): void {
  node.reach.onRequest = (addr, op, nowMs) => requestArrived(node, addr, op, nowMs);
  const tick = (): void => {
    node.afterMs(nextCheckInMs(node.reach.status, node.config), () => {
      if (!awaitingQuiet(node.reach.inconclusiveAtMs, node.timers.now(), anyQuietHost(node)))
        checkReachability(node);
      tick();
    });
  };
  checkReachability(node);
  tick();
}

/** When the next check is due: soon while not reachable, rarely once confirmed. */
export function nextCheckInMs(status: ReachabilityStatus, config: DhtConfig): number {
  return status === 'reachable' ? config.reachabilityRecheckMs : config.reachabilityRetryMs;
}

/**
 * After a round whose probes all came from hosts we had traffic with, another one soon brings
 * the same: a probe proves something only from a host quiet for a NAT's mapping lifetime. So
 * the periodic checks wait until a host we know is quiet (`anyQuietHost`), but no longer than
 * that lifetime since the round, after which even our own round's hosts are. In a network of
 * a handful of hosts every host is contacted in every round, and without the wait a node there
 * stayed unknown for good.
 */
export function awaitingQuiet(
  inconclusiveAtMs: number | null,
  nowMs: number,
  anyQuietHost: boolean,
): boolean {
  return (
    inconclusiveAtMs !== null && nowMs - inconclusiveAtMs < NAT_MAPPING_WINDOW_MS && !anyQuietHost
  );
}

/**
 * One check, if none is under way: a round (reachability-round.ts) asks a few peers on
 * distinct hosts to have a third node dial us, then waits for probes. Their answers also tell
 * us how they observe our address (the agreement input).
 *
 * None while we join: our first requests to the seeds are the proof they may be waiting for
 * (a stranger's first contact), and a round started meanwhile (the seeds' answers agreeing on
 * our address start one) can have one of them dial us before our request reaches it, which
 * spends that proof. The join ends with a check (DhtNode.checkAfter).
 */
export function checkReachability(node: NodeDriver): void {
  const { reach } = node;
  if (reach.round !== null || reach.joining) return;
  const quiet = reach.inconclusiveAtMs === null ? undefined : quietTest(node);
  const asked = peersToAsk(knownPeers(node), node.random, quiet);
  const tokens = asked.map(() => node.random.bytes(16));
  const round = openRound();
  reach.round = round;
  feedRound(node, round, { type: 'start', asked, tokens });
}

/** Whether we have had no traffic with a peer's host for a NAT's mapping lifetime. */
function quietTest(node: NodeDriver): (peer: PeerInfo) => boolean {
  const now = node.timers.now();
  return (peer) => !mayPassMapping(node.reach.lastContactAt(peer.addr, now), now);
}

function anyQuietHost(node: NodeDriver): boolean {
  if (node.reach.inconclusiveAtMs === null) return false;
  return knownPeers(node).some(quietTest(node));
}

/** A `probe` arrived from `remote` with `tokenHex`: it counts only as any request would. */
export function probeArrived(node: NodeDriver, tokenHex: string, remote: string): void {
  const { round } = node.reach;
  if (round === null) return;
  const proof = judge(node, remote, node.timers.now()) === 'proof';
  feedRound(node, round, { type: 'probed', tokenHex, remote, proof });
}

/** The round's driver: decides with `roundStep`, then acts on the effects in order. */
function feedRound(node: NodeDriver, round: Round, input: RoundInput): void {
  const { reach } = node;
  const context = {
    status: reach.status,
    silentRounds: reach.silentRounds,
    probeWaitMs: node.config.probeWaitMs,
  };
  const output = roundStep(round, input, context);
  if (output.over && reach.round === round) reach.round = null;
  for (const effect of output.effects) {
    switch (effect.type) {
      case 'send':
        sendRpc(node, effect.peer, effect.request, null, (result) =>
          feedRound(node, round, roundOutcome(effect.tag, result)),
        );
        break;
      case 'vote':
        noteObserved(node, effect.observed, effect.observerAddr);
        break;
      case 'arm':
        node.afterMs(effect.afterMs, () => feedRound(node, round, { type: 'timer' }));
        break;
      case 'record':
        node.record('reachability_checked', effect.checked);
        break;
    }
  }
  if (output.verdict === null) return;
  reach.silentRounds = output.verdict.silentRounds;
  reach.inconclusiveAtMs = output.verdict.awaitQuiet ? node.timers.now() : null;
  const { status, note } = output.verdict;
  if (status !== null) setStatus(node, status.status, status.reason);
  else if (note !== undefined && reach.status === 'unknown') reach.reason = note;
}

function roundOutcome(tag: number, result: RpcResult): RoundInput {
  return result.ok
    ? { type: 'answered', tag, response: result.response, peerAddr: result.peer.addr }
    : { type: 'failed', tag };
}

/** A verified request arrived from `addr`: proof of reachability when nothing of ours invited it. */
function requestArrived(node: NodeDriver, addr: string, op: Request['op'], nowMs: number): void {
  if (judge(node, addr, nowMs) !== 'proof') return;
  node.reach.silentRounds = 0;
  if (node.reach.status !== 'reachable')
    setStatus(node, 'reachable', `unsolicited ${op} from ${addr}`);
}

function judge(node: NodeDriver, addr: string, nowMs: number): ReturnType<typeof judgeInbound> {
  return judgeInbound(addr, node.advertisedAddr, node.reach.lastContactAt(addr, nowMs), nowMs);
}

/**
 * A peer told us how it sees us: one vote for the advertised address (by agreement). Whatever
 * moved the address we advertise (an agreement, or for an unspecified bind the observation
 * that now leads) is recorded, so the log holds every address a decision used.
 */
export function noteObserved(node: NodeDriver, observed: string, observerAddr: string): void {
  const now = node.timers.now();
  const previous = node.advertisedAddr;
  const agreed = node.reach.observed.observe(observed, observerAddr, now);
  const addr = node.advertisedAddr;
  if (agreed === null && addr === previous) return;
  const leading = node.reach.observed.leading(now);
  node.record('advertised_address_changed', {
    addr,
    previous,
    observed: agreed ?? leading?.addr ?? addr,
    voters: leading?.voters ?? 0,
  });
  // Reachability belongs to an address: a new one is checked again at once.
  if (agreed !== null && node.config.reachabilityChecks)
    node.afterMs(0, () => checkReachability(node));
}

/** Applies `decideStatus`: the reason always, and a new status with its caps and event. */
function setStatus(node: NodeDriver, status: ReachabilityStatus, reason: string): void {
  const { reach } = node;
  reach.reason = reason;
  const change = decideStatus(
    {
      mode: reach.mode,
      status: reach.status,
      caps: node.self.caps,
      configuredCaps: node.config.caps,
      addr: node.advertisedAddr,
    },
    status,
    reason,
  );
  if (change === null) return;
  reach.status = status;
  reach.sinceMs = node.timers.now();
  node.setCaps(change.caps);
  node.record('reachability_changed', change.changed);
  if (change.announce) announceServing(node);
}

/**
 * Newly serving the DHT: meet the closest peers, so their tables take us in now, and ping the
 * recent peers outside our table, which met us as a client (a small network's other new
 * servers among them: without this, two nodes confirmed one after the other never learn that
 * the other serves).
 */
function announceServing(node: NodeDriver): void {
  lookup(node, { target: node.identity.id, kind: 'refresh' }, () => undefined);
  for (const peer of node.reach.recentPeers())
    if (!node.state.routing.byId.has(peer.identity.idHex))
      sendRpc(node, peer, { op: 'ping' }, null, () => undefined);
}

/** Verified peers we know: the table's and the recent ones (clients are not in the table). */
function knownPeers(node: NodeDriver): PeerInfo[] {
  return [...[...node.state.routing.byId.values()].map((e) => e.peer), ...node.reach.recentPeers()];
}

/**
 * A third party for someone's check: a verified peer on another host than the requester
 * and of the same address family (an IPv4-only node cannot dial an IPv6 address).
 */
export function thirdParty(node: NodeDriver, requesterAddr: string): PeerInfo | null {
  const requester = parseAddress(requesterAddr);
  if (requester === null) return null;
  const requesterHost = sourceHost(requester.host);
  const ipv6 = requester.host.includes(':');
  const candidates = knownPeers(node).filter((peer) => {
    const parsed = parseAddress(peer.addr);
    return (
      parsed !== null &&
      parsed.host.includes(':') === ipv6 &&
      sourceHost(parsed.host) !== requesterHost
    );
  });
  return candidates.length === 0 ? null : candidates[node.random.int(candidates.length)]!;
}
