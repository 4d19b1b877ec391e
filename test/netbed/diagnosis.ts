import { admissionHost } from '../../src/dht/rate-limiter.js';
import { judgeInbound, type InboundVerdict } from '../../src/dht/reachability-evidence.js';
import { nodeSql, type BedNode } from './bed-node.js';

/**
 * Why a node was or was not confirmed reachable, read off its event log. The judge's verdicts
 * are not recorded, but every input is (rpc_sent notes a contact, rpc_received is judged and
 * then notes one, advertised_address_changed moves the address judged against), so replaying
 * them through judgeInbound gives the verdicts the node reached, in order.
 */

interface Row {
  seq: number;
  t: number;
  type: string;
  op: string | null;
  addr: string | null;
  rid: number | null;
  outcome: string | null;
  status: string | null;
}

/** What the replay learned about one host (an IPv4 address or an IPv6 /64). */
interface HostHistory {
  firstSent?: Row;
  firstReceived?: Row;
  firstVerdict?: InboundVerdict;
}

const EVENTS_SQL =
  "SELECT seq, at - (SELECT min(at) FROM events WHERE type = 'node_started') AS t, type, " +
  "json_extract(data, '$.op') AS op, json_extract(data, '$.addr') AS addr, " +
  "json_extract(data, '$.rid') AS rid, json_extract(data, '$.outcome') AS outcome, " +
  "json_extract(data, '$.status') AS status " +
  "FROM events WHERE type IN ('node_started', 'rpc_sent', 'rpc_received', 'rpc_completed', " +
  "'advertised_address_changed', 'reachability_changed') ORDER BY seq";

/** Lines (each starting with `# `) that explain `node`'s reachability from its log. */
export async function explainReachability(node: BedNode): Promise<string> {
  const rows = await nodeSql<Row>(node, EVENTS_SQL);
  const replay = replayJudge(rows);
  const lines = [`# ${node.name} reachability from its log (ms after node_started):`];
  for (const [host, history] of replay.hosts) lines.push(`#   ${describeHost(host, history)}`);
  lines.push(`#   checks: ${replay.rounds.join('; ') || 'none'}`);
  lines.push(`#   probes received: ${replay.probes.join('; ') || 'none'}`);
  lines.push(`#   address and status: ${replay.changes.join('; ') || 'no change'}`);
  return lines.join('\n');
}

interface Replay {
  hosts: Map<string, HostHistory>;
  rounds: string[];
  probes: string[];
  changes: string[];
}

/** Folds the log as the node did: judges each request, then notes it and each send as contact. */
function replayJudge(rows: readonly Row[]): Replay {
  const replay: Replay = { hosts: new Map(), rounds: [], probes: [], changes: [] };
  const lastContact = new Map<string, number>();
  const dialBacks = new Map<number, Row>();
  let advertised = '';
  for (const row of rows) {
    const rpc = row.type.startsWith('rpc_');
    const host = !rpc || row.addr === null ? null : admissionHost(row.addr);
    const history = host === null ? null : historyOf(replay.hosts, host);
    if (row.type === 'node_started' || row.type === 'advertised_address_changed') {
      if (advertised !== '') replay.changes.push(`advertises ${row.addr} at ${row.t}`);
      advertised = row.addr ?? advertised;
    } else if (row.type === 'reachability_changed') {
      replay.changes.push(`${row.status} at ${row.t}`);
    } else if (row.type === 'rpc_sent' && host !== null && history !== null) {
      history.firstSent ??= row;
      lastContact.set(host, row.t);
      if (row.op === 'dial_back' && row.rid !== null) dialBacks.set(row.rid, row);
    } else if (row.type === 'rpc_completed' && row.rid !== null && dialBacks.has(row.rid)) {
      const sent = dialBacks.get(row.rid)!;
      replay.rounds.push(`dial_back to ${sent.addr} at ${sent.t}: ${row.outcome} at ${row.t}`);
    } else if (row.type === 'rpc_received' && host !== null && history !== null) {
      const verdict = judgeInbound(row.addr!, advertised, lastContact.get(host), row.t);
      if (history.firstReceived === undefined) {
        history.firstReceived = row;
        history.firstVerdict = verdict;
      }
      if (row.op === 'probe') replay.probes.push(`from ${row.addr} at ${row.t}: ${verdict}`);
      lastContact.set(host, row.t);
    }
  }
  return replay;
}

function historyOf(hosts: Map<string, HostHistory>, host: string): HostHistory {
  let history = hosts.get(host);
  if (history === undefined) hosts.set(host, (history = {}));
  return history;
}

/** One host: who spoke first, and what the node made of the host's first request. */
function describeHost(host: string, history: HostHistory): string {
  const { firstSent: sent, firstReceived: received, firstVerdict: verdict } = history;
  const ours = sent === undefined ? 'never sent to' : `first sent ${sent.op} at ${sent.t}`;
  const theirs =
    received === undefined
      ? 'no request from it'
      : `first request ${received.op} from ${received.addr} at ${received.t}: ${verdict}`;
  return `host ${host}: ${ours}; ${theirs}`;
}
