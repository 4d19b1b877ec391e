import { parseAddress, sourceHost } from '../core/address.js';
import { toHex } from '../core/bytes.js';
import type { PeerInfo } from '../core/node-info.js';
import type { Random } from '../core/random.js';
import type { EventDataMap, RoundOutcome } from '../events/event-types.js';
import type { Response } from '../net/messages.js';
import { NAT_MAPPING_WINDOW_MS } from './reachability-evidence.js';
import type { ReachabilityStatus } from './reachability-status.js';

/**
 * One reachability check round as a machine (issue 15 item 2, issue 10 item 1): ask a few
 * peers on distinct hosts (`dial_back`) to have a third node dial us, wait once every answer
 * is in, then judge what arrived. `roundStep` decides from the round, the input and a context;
 * the driver (reachability.ts) sends, arms the probe wait, notes the address votes and applies
 * the verdict, feeding every outcome back in.
 */

/** Peers asked per check, each to have a third node dial us. */
const ASKED_PER_CHECK = 3;
/** Peers that said they forwarded, with no probe at all arriving, before we say unreachable. */
const FORWARDS_FOR_UNREACHABLE = 2;

/** What a round has seen so far. */
export interface Round {
  /** Our tokens (hex), one per peer asked: a probe carrying another is none of this round's. */
  readonly tokens: string[];
  /** Peers asked that have neither answered nor failed yet. */
  waiting: number;
  /** Peers that said they asked a third node to dial us. */
  forwarded: number;
  /** Where probes that prove reachability came from. */
  counted: string[];
  /** Probes that prove nothing (a host we had traffic with, the other family...). */
  inconclusive: number;
  over: boolean;
}

export type RoundInput =
  /** Ask `asked[i]` with `tokens[i]` (the driver draws both: randomness is an input). */
  | {
      readonly type: 'start';
      readonly asked: readonly PeerInfo[];
      readonly tokens: readonly Uint8Array[];
    }
  /** The peer asked as `tag` answered, from `peerAddr`. */
  | {
      readonly type: 'answered';
      readonly tag: number;
      readonly response: Response;
      readonly peerAddr: string;
    }
  | { readonly type: 'failed'; readonly tag: number }
  /** A probe with `tokenHex` came from `remote`; `proof`: it passes the rule any request must. */
  | {
      readonly type: 'probed';
      readonly tokenHex: string;
      readonly remote: string;
      readonly proof: boolean;
    }
  /** The probe wait is over. */
  | { readonly type: 'timer' };

export type RoundEffect =
  | {
      readonly type: 'send';
      readonly tag: number;
      readonly peer: PeerInfo;
      readonly request: { readonly op: 'dial_back'; readonly token: Uint8Array };
    }
  /** A peer told us how it sees us: one vote for the address we advertise. */
  | { readonly type: 'vote'; readonly observed: string; readonly observerAddr: string }
  /** Wait this long for probes, then feed the timer. */
  | { readonly type: 'arm'; readonly afterMs: number }
  /** The round is over: record what it saw and decided, before the verdict applies. */
  | { readonly type: 'record'; readonly checked: EventDataMap['reachability_checked'] };

/** What a finished round says: the status to set, if any, and the silent rounds in a row. */
export interface RoundVerdict {
  readonly status: { readonly status: ReachabilityStatus; readonly reason: string } | null;
  readonly silentRounds: number;
  /**
   * Why a round that proved nothing either way changed nothing: shown as the reason of a
   * status still unknown, which otherwise said "not checked yet" after any number of rounds.
   */
  readonly note?: string;
  /**
   * Only probes that prove nothing arrived: every third node was a host we had traffic with,
   * which in a network of a handful of hosts every round makes so. The next round waits until a
   * host we know has been quiet for NAT_MAPPING_WINDOW_MS (at most that long) and leaves it
   * unasked, so that a peer can pick it as the third node (reachability.ts).
   */
  readonly awaitQuiet?: true;
}

/** Apply `effects` in order; once `over`, the round is done and `verdict` (if any) applies. */
export interface RoundOutput {
  readonly effects: readonly RoundEffect[];
  readonly over: boolean;
  readonly verdict: RoundVerdict | null;
}

/** The inputs of a step that are not in the round: what the verdict builds on, the wait. */
export interface RoundContext {
  readonly status: ReachabilityStatus;
  readonly silentRounds: number;
  readonly probeWaitMs: number;
}

export function openRound(): Round {
  return { tokens: [], waiting: 0, forwarded: 0, counted: [], inconclusive: 0, over: false };
}

const NOTHING: RoundOutput = { effects: [], over: false, verdict: null };

export function roundStep(round: Round, input: RoundInput, context: RoundContext): RoundOutput {
  if (round.over) return NOTHING;
  switch (input.type) {
    case 'start':
      return start(round, input.asked, input.tokens);
    case 'answered': {
      const effects: RoundEffect[] = [];
      if (input.response.op === 'dialing') {
        const { observed, asked } = input.response;
        effects.push({ type: 'vote', observed, observerAddr: input.peerAddr });
        if (asked) round.forwarded++;
      }
      return { effects: [...effects, ...settled(round, context)], over: false, verdict: null };
    }
    case 'failed':
      return { effects: settled(round, context), over: false, verdict: null };
    case 'probed':
      if (!round.tokens.includes(input.tokenHex)) return NOTHING;
      if (input.proof) round.counted.push(input.remote);
      else round.inconclusive++;
      return NOTHING;
    case 'timer': {
      round.over = true;
      const verdict = judgeRound(context.status, context.silentRounds, round);
      const checked = checkedData(round, verdict);
      return { effects: [{ type: 'record', checked }], over: true, verdict };
    }
  }
}

/**
 * Whom a round asks: up to ASKED_PER_CHECK of the verified `candidates` (table peers and recent
 * ones), drawn at random, on distinct hosts, of any family: their answers are votes on our
 * address too, and a probe over the other family than our advertised address's is merely
 * inconclusive.
 *
 * With `isQuiet` (the round after one whose probes all proved nothing) the hosts we had traffic
 * with within a NAT's mapping lifetime are asked first, and at least one quiet host stays
 * unasked: a peer can pick it as the third node, and its probe counts. Asking every host we
 * know, as a network of a handful of hosts makes a round do, leaves peers only hosts we have
 * just contacted to pick. With nobody else to ask, one quiet host is asked after all.
 */
export function peersToAsk(
  candidates: readonly PeerInfo[],
  random: Random,
  isQuiet?: (peer: PeerInfo) => boolean,
): PeerInfo[] {
  if (isQuiet === undefined) return onDistinctHosts(candidates, random, ASKED_PER_CHECK);
  const quiet = candidates.filter(isQuiet);
  const busy = onDistinctHosts(
    candidates.filter((peer) => !isQuiet(peer)),
    random,
    ASKED_PER_CHECK,
  );
  const spare = Math.min(hostCount(quiet) - 1, ASKED_PER_CHECK - busy.length);
  const asked = [...busy, ...onDistinctHosts(quiet, random, Math.max(spare, 0))];
  return asked.length > 0 ? asked : onDistinctHosts(quiet, random, 1);
}

/** Up to `limit` of `peers`, drawn at random, one per host; unparsable addresses are skipped. */
function onDistinctHosts(peers: readonly PeerInfo[], random: Random, limit: number): PeerInfo[] {
  const left = [...peers];
  const out: PeerInfo[] = [];
  const hosts = new Set<string>();
  while (left.length > 0 && out.length < limit) {
    const [peer] = left.splice(random.int(left.length), 1);
    const host = hostOf(peer!);
    if (host === null || hosts.has(host)) continue;
    hosts.add(host);
    out.push(peer!);
  }
  return out;
}

function hostCount(peers: readonly PeerInfo[]): number {
  const hosts = new Set<string>();
  for (const peer of peers) {
    const host = hostOf(peer);
    if (host !== null) hosts.add(host);
  }
  return hosts.size;
}

function hostOf(peer: PeerInfo): string | null {
  const parsed = parseAddress(peer.addr);
  return parsed === null ? null : sourceHost(parsed.host);
}

/** One `dial_back` per peer; with nobody to ask, the round is over at once and learns nothing. */
function start(
  round: Round,
  asked: readonly PeerInfo[],
  tokens: readonly Uint8Array[],
): RoundOutput {
  if (asked.length === 0) {
    round.over = true;
    return { effects: [], over: true, verdict: null };
  }
  round.waiting = asked.length;
  const effects: RoundEffect[] = asked.map((peer, tag) => {
    const token = tokens[tag]!;
    round.tokens.push(toHex(token));
    return { type: 'send', tag, peer, request: { op: 'dial_back', token } };
  });
  return { effects, over: false, verdict: null };
}

/** A peer's answer or failure is in: once all are, the probes get their time to arrive. */
function settled(round: Round, context: RoundContext): RoundEffect[] {
  round.waiting--;
  return round.waiting === 0 ? [{ type: 'arm', afterMs: context.probeWaitMs }] : [];
}

/**
 * Judges a finished round: a probe that counted proves reachability; a round in which enough
 * peers had a third node dial us and nothing at all arrived is a silent one, and makes us
 * unreachable, but one silent round does not undo a confirmation (a lost probe, a busy third
 * node); anything else (inconclusive probes, too few forwards) changes nothing.
 */
export function judgeRound(
  status: ReachabilityStatus,
  silentRounds: number,
  round: Pick<Round, 'counted' | 'forwarded' | 'inconclusive'>,
): RoundVerdict {
  switch (outcomeOf(round)) {
    case 'reachable': {
      const reason = `probed unsolicited by ${round.counted.join(', ')}`;
      return { status: { status: 'reachable', reason }, silentRounds: 0 };
    }
    case 'inconclusive':
      return { status: null, silentRounds, note: inconclusive(round), awaitQuiet: true };
    case 'too_few': {
      const note = `checked: ${round.forwarded} of the peers asked had a third node dial us, too few to judge`;
      return { status: null, silentRounds, note };
    }
    case 'silent': {
      const silent = silentRounds + 1;
      if (status === 'reachable' && silent < 2) return { status: null, silentRounds: silent };
      const reason = `${round.forwarded} peers had a third node dial us; none got through`;
      return { status: { status: 'unreachable', reason }, silentRounds: silent };
    }
  }
}

/** The `reachability_checked` event of a finished round. */
function checkedData(round: Round, verdict: RoundVerdict): EventDataMap['reachability_checked'] {
  return {
    asked: round.tokens.length,
    forwarded: round.forwarded,
    counted: [...round.counted],
    inconclusive: round.inconclusive,
    outcome: outcomeOf(round),
    silent_rounds: verdict.silentRounds,
  };
}

/** What a finished round amounts to: a proof first, then probes that proved nothing. */
function outcomeOf(round: Pick<Round, 'counted' | 'forwarded' | 'inconclusive'>): RoundOutcome {
  if (round.counted.length > 0) return 'reachable';
  if (round.inconclusive > 0) return 'inconclusive';
  return round.forwarded < FORWARDS_FOR_UNREACHABLE ? 'too_few' : 'silent';
}

function inconclusive(round: Pick<Round, 'inconclusive'>): string {
  const probes = round.inconclusive === 1 ? '1 probe' : `${round.inconclusive} probes`;
  const wait = NAT_MAPPING_WINDOW_MS / 60_000;
  return `checked: ${probes} arrived, only from hosts we had traffic with (no proof); the next check waits for a host quiet for ${wait} min`;
}
