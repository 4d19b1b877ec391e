import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../e2e/tesd-process.js';
import { bedUnavailableReason, NetBed, type Host } from './bed.js';
import { explainReachability } from './diagnosis.js';
import {
  findKey,
  findKeyTogether,
  type FindView,
  nodePeers,
  nodeSql,
  nodeStatus,
  publishTessera,
  startNode,
  stopNode,
  type BedNode,
} from './bed-node.js';

/**
 * Real tesd processes on hosts in network namespaces (see bed.ts): three public IPv4 hosts,
 * a dual-stack host, an IPv6-only host and two hosts behind a NAT router, every node in the
 * default `auto` reachability mode (neither --server nor --client). Addresses come from the
 * benchmark and documentation ranges only.
 *
 * How the public nodes get confirmed: a request from a host a node had no traffic with for a
 * NAT mapping's lifetime proves that unsolicited connections reach it (docs/protocol.md,
 * Reachability). In a network this small every node talks to every other within seconds, so
 * the strangers are the newcomers: pub2, pub3 and dual bootstrapping through pub1, dual
 * through v6 (over IPv6), and nat1, whose bootstrap list names every public IPv4 node. The
 * probes of the dial-back checks may confirm some of them first; they also spend first
 * contacts (a node that probes a host has contacted it first), so pub3 may have lost every
 * other one and need nat1's ping. That ping lands before nat1's first check round has anyone
 * probe nat1, because no round starts while a node joins (docs/protocol.md, Reachability).
 * A failure prints, for each unconfirmed node, who spoke first to whom (diagnosis.ts).
 */

const unavailable = bedUnavailableReason();
if (unavailable !== null) {
  if (process.env['CI'] === 'true') throw new Error(`test:net cannot run under CI: ${unavailable}`);
  console.log(`# SKIPPED the network test bed: ${unavailable}`);
}

const PORT = 4433;
const LOSS = 0.02;
const DELAY_MIN_MS = 30;
const DELAY_MAX_MS = 50;
const LOSSY_FINDS = 50;
/** The issue's bound on lossy-link finds (the churn issue's soft timeouts keep p95 low). */
const LOSSY_P95_MS = 1_000;
/** Joining and confirming reachability; check rounds run every 20 s until confirmed. */
const JOIN_MS = 120_000;
const PUBLIC = ['pub1', 'pub2', 'pub3', 'dual', 'v6'];
const BEHIND_NAT = ['nat1', 'nat2'];

const v4 = (ip: string): string => `${ip}:${PORT}`;
const v6 = (ip: string): string => `[${ip}]:${PORT}`;

describe('network test bed', { skip: unavailable ?? false }, () => {
  let bed: NetBed;
  const nodes = new Map<string, BedNode>();
  const host = (role: string): Host => bed.hosts.get(role)!;
  const node = (role: string): BedNode => nodes.get(role)!;
  const idOf = async (role: string): Promise<string> => (await nodeStatus(bed, node(role))).id;

  before(async () => {
    bed = new NetBed();
    bed.addPublicHost('pub1', { ipv4: '198.18.1.1' });
    bed.addPublicHost('pub2', { ipv4: '198.18.2.1' });
    bed.addPublicHost('pub3', { ipv4: '198.18.3.1' });
    bed.addPublicHost('dual', { ipv4: '198.18.4.1', ipv6: '2001:db8:4::1' });
    bed.addPublicHost('v6', { ipv6: '2001:db8:6::1' });
    const router = bed.addNatRouter('router', '198.18.0.1', '198.51.100.1');
    bed.addNatHost('nat1', router, '198.51.100.11', '198.51.100.1');
    bed.addNatHost('nat2', router, '198.51.100.12', '198.51.100.1');

    const seed = v4('198.18.1.1');
    nodes.set('pub1', await startNode(bed, host('pub1'), `0.0.0.0:${PORT}`, []));
    nodes.set('v6', await startNode(bed, host('v6'), `[::]:${PORT}`, []));
    const started = await Promise.all([
      startNode(bed, host('pub2'), v4('198.18.2.1'), [seed]),
      startNode(bed, host('pub3'), `0.0.0.0:${PORT}`, [seed]),
      startNode(bed, host('dual'), `[::]:${PORT}`, [seed, v6('2001:db8:6::1')]),
    ]);
    for (const n of started) nodes.set(n.name, n);
    const everyPublicIpv4 = ['198.18.1.1', '198.18.2.1', '198.18.3.1', '198.18.4.1'].map(v4);
    nodes.set('nat1', await startNode(bed, host('nat1'), `0.0.0.0:${PORT}`, everyPublicIpv4));
    nodes.set('nat2', await startNode(bed, host('nat2'), `0.0.0.0:${PORT}`, [seed]));
  });

  after(async () => {
    await Promise.all([...nodes.values()].map((n) => stopNode(n)));
    bed.teardown();
    assert.deepEqual(bed.leftovers(), [], 'no namespace of the bed is left');
  });

  it('public nodes in auto mode confirm their reachability within a bounded time', async () => {
    await withDiagnosis(bed, [...nodes.values()], () =>
      waitFor(
        'every public node to be confirmed reachable',
        async () => {
          for (const role of PUBLIC) {
            const status = await nodeStatus(bed, node(role));
            if (status.reachability.status !== 'reachable' || status.client) return false;
          }
          return true;
        },
        JOIN_MS,
      ),
    );
    const delays: string[] = [];
    for (const role of PUBLIC) {
      const status = await nodeStatus(bed, node(role));
      assert.equal(status.reachability.mode, 'auto');
      assert.match(status.reachability.reason, /^(unsolicited \w+ from|probed unsolicited by) /);
      assert.equal(status.reachability.summary, 'serving the DHT (confirmed reachable)');
      const [row] = await nodeSql<{ after_ms: number }>(
        node(role),
        "SELECT min(at) - (SELECT min(at) FROM events WHERE type = 'node_started') AS after_ms " +
          "FROM events WHERE type = 'reachability_changed' AND " +
          "json_extract(data, '$.status') = 'reachable'",
      );
      delays.push(`${role} ${row?.after_ms} ms (${status.reachability.reason})`);
    }
    console.log(`# confirmed reachable after start: ${delays.join('; ')}`);
  });

  it('public hosts form a network at their real addresses', async () => {
    const publics = ['pub1', 'pub2', 'pub3', 'dual'];
    const expected = ['198.18.1.1', '198.18.2.1', '198.18.3.1', '198.18.4.1'].map(v4);
    await withDiagnosis(bed, [...nodes.values()], () =>
      waitFor(
        'the public hosts to hold each other',
        async () => {
          for (const [i, role] of publics.entries()) {
            const addrs = (await nodePeers(bed, node(role))).map((p) => p.addr);
            for (const [j, addr] of expected.entries())
              if (i !== j && !addrs.includes(addr)) return false;
          }
          return true;
        },
        JOIN_MS,
      ),
    );
  });

  it('a public node bound to 0.0.0.0 advertises its real address as a holder', async () => {
    for (const [role, real] of [
      ['pub1', v4('198.18.1.1')],
      ['pub3', v4('198.18.3.1')],
    ] as const) {
      const status = await waitFor(`${role} to agree on its address`, async () => {
        const s = await nodeStatus(bed, node(role));
        return s.reachability.agreed_addr !== null && s;
      });
      assert.equal(status.reachability.agreed_addr, real);
      assert.equal(status.advertised_addr, real);
    }
    const published = await publishTessera(bed, node('pub1'), randomBytes(32).toString('hex'));
    assert.equal(published.ok, true);
    const found = await findKey(bed, node('pub2'), published.key);
    assert.deepEqual(
      found.pointers[0]?.holders.map((h) => h.addr),
      [v4('198.18.1.1')],
    );
  });

  it('a node bound to [::] serves IPv4 and IPv6 peers, IPv4 written as IPv4', async () => {
    const fromV4 = (await nodePeers(bed, node('pub1'))).map((p) => p.addr);
    assert.ok(
      fromV4.includes(v4('198.18.4.1')),
      `IPv4 peers hold it at its IPv4 address: ${fromV4.join(', ')}`,
    );
    const fromV6 = await waitFor(
      'the IPv6-only node to hold the dual-stack one',
      async () => {
        const addrs = (await nodePeers(bed, node('v6'))).map((p) => p.addr);
        return addrs.includes(v6('2001:db8:4::1')) && addrs;
      },
      JOIN_MS,
    );
    assert.ok(
      fromV6.includes(v6('2001:db8:4::1')),
      `IPv6 peers hold it at its IPv6 address: ${fromV6.join(', ')}`,
    );
    const own = (await nodePeers(bed, node('dual'))).map((p) => p.addr);
    assert.ok(own.includes(v4('198.18.1.1')), `it holds IPv4 peers: ${own.join(', ')}`);
    assert.ok(own.includes(v6('2001:db8:6::1')), `and the IPv6 one: ${own.join(', ')}`);
    assert.ok(!own.some((a) => a.includes('::ffff:')), `no IPv4-mapped text in ${own.join(', ')}`);
  });

  it('the IPv6-only node joins through the dual-stack one and pointers cross both ways', async () => {
    const fromV6 = await publishTessera(bed, node('v6'), randomBytes(32).toString('hex'));
    assert.equal(fromV6.ok, true);
    const foundOnV4 = await findKey(bed, node('pub2'), fromV6.key);
    assert.deepEqual(
      foundOnV4.pointers[0]?.holders.map((h) => h.addr),
      [v6('2001:db8:6::1')],
    );
    const fromV4 = await publishTessera(bed, node('pub3'), randomBytes(32).toString('hex'));
    const foundOnV6 = await findKey(bed, node('v6'), fromV4.key);
    assert.deepEqual(
      foundOnV6.pointers[0]?.holders.map((h) => h.addr),
      [v4('198.18.3.1')],
    );
  });

  it('nodes behind NAT publish and find, are never confirmed, are in no public routing table, and say so', async () => {
    const fromNat = await publishTessera(bed, node('nat1'), randomBytes(32).toString('hex'));
    assert.equal(fromNat.ok, true);
    assert.ok(fromNat.stored_at > 0);
    const found = await findKey(bed, node('pub2'), fromNat.key);
    assert.equal(found.pointers.length, 1);
    const fromPublic = await publishTessera(bed, node('pub1'), randomBytes(32).toString('hex'));
    const foundBehindNat = await findKey(bed, node('nat2'), fromPublic.key);
    assert.equal(foundBehindNat.pointers.length, 1);

    // The first check round usually ends inconclusive here: every third node is a host the NAT
    // node has just contacted, so its probe passes the NAT. `unreachable` needs a round in which
    // third nodes dialled and nothing arrived; until then the node says `unknown`.
    const said: string[] = [];
    for (const role of BEHIND_NAT) {
      const status = await nodeStatus(bed, node(role));
      const { reachability } = status;
      assert.equal(status.client, true, `${role} acts as a client`);
      assert.equal(reachability.mode, 'auto');
      assert.notEqual(reachability.status, 'reachable');
      assert.equal(
        reachability.summary,
        `client until confirmed reachable (${reachability.status}): not in routing tables`,
      );
      said.push(`${role} ${reachability.status} (${reachability.reason})`);
    }
    console.log(`# behind the NAT: ${said.join('; ')}`);
    await assertNeverConfirmed(BEHIND_NAT.map(node));
    const natIds = new Set(await Promise.all(BEHIND_NAT.map(idOf)));
    for (const role of PUBLIC) {
      const peers = await nodePeers(bed, node(role));
      const held = peers.filter((p) => natIds.has(p.id) || p.addr.startsWith('198.18.0.1:'));
      assert.deepEqual(held, [], `${role}'s routing table holds no node behind the NAT`);
    }
  });

  it('finds on clean links find (the baseline for the lossy run)', async () => {
    const published = await publishTessera(bed, node('pub3'), randomBytes(32).toString('hex'));
    const durations: number[] = [];
    for (const role of ['pub1', 'pub2', 'dual', 'v6', 'nat1']) {
      const found = await findKey(bed, node(role), published.key);
      durations.push(found.lookup.duration_ms);
      assert.equal(found.pointers.length, 1, `${role} found it`);
    }
    console.log(`# clean-link finds: lookup durations ${durations.join(', ')} ms`);
  });

  it(`lossy links (${LOSS * 100}% loss, ${DELAY_MIN_MS}-${DELAY_MAX_MS} ms delay): finds >= 0.98, p95 < ${LOSSY_P95_MS} ms`, async () => {
    const lossy = PUBLIC;
    for (const role of lossy) bed.impair(host(role), LOSS, DELAY_MIN_MS, DELAY_MAX_MS);
    try {
      const keys: string[] = [];
      for (const role of PUBLIC) {
        const published = await publishTessera(bed, node(role), randomBytes(32).toString('hex'));
        assert.equal(published.ok, true, `${role} published`);
        keys.push(published.key);
      }
      const finders = ['pub1', 'pub2', 'pub3', 'dual', 'nat1'];
      const durations: number[] = [];
      const wallMs: number[] = [];
      let found = 0;
      for (let i = 0; i < LOSSY_FINDS; i++) {
        const finder = node(finders[i % finders.length]!);
        const key = keys[Math.floor(i / finders.length) % keys.length]!;
        const startedAt = Date.now();
        const result = await findKey(bed, finder, key);
        wallMs.push(Date.now() - startedAt);
        durations.push(result.lookup.duration_ms);
        if (result.pointers.length > 0) found++;
      }
      const lookup = percentiles(durations);
      const wall = percentiles(wallMs);
      console.log(
        `# lossy finds: ${found}/${LOSSY_FINDS} found; lookup duration p50 ${lookup.p50} ms, ` +
          `p95 ${lookup.p95} ms, max ${lookup.max} ms; through the admin API (curl in the ` +
          `namespace) p50 ${wall.p50} ms, p95 ${wall.p95} ms`,
      );
      assert.ok(found / LOSSY_FINDS >= 0.98, `${found}/${LOSSY_FINDS} finds found`);
      assert.ok(lookup.p95 < LOSSY_P95_MS, `lookup duration p95 ${lookup.p95} ms`);
    } finally {
      for (const role of lossy) bed.unimpair(host(role));
    }
  });

  it('local send errors (EPERM from a firewall, EHOSTUNREACH and ENETUNREACH from routes) cost only those peers', async () => {
    // After the lossy run: the connections that lived through a one-way blackhole stay stuck in
    // QUIC's retransmission backoff for a while after it ends (see the issue note).
    const [pub3, dual] = [host('pub3'), host('dual')];
    const published = await publishTessera(bed, node('pub2'), randomBytes(32).toString('hex'));
    const [pub1Id, pub2Id, dualId] = [await idOf('pub1'), await idOf('pub2'), await idOf('dual')];
    const before = async (role: string): Promise<number> =>
      (await nodeSql<{ seq: number }>(node(role), 'SELECT max(seq) AS seq FROM events'))[0]!.seq;
    const [pub3Mark, dualMark] = [await before('pub3'), await before('dual')];
    // pub3: sendto(2) fails with EPERM towards pub2 (firewall), EHOSTUNREACH towards pub1
    // (an unreachable route); dual: ENETUNREACH towards pub2 (a throw route, no other table).
    bed.exec(pub3.ns, 'iptables', '-A', 'OUTPUT', '-d', '198.18.2.1', '-j', 'DROP');
    bed.exec(pub3.ns, 'ip', 'route', 'add', 'unreachable', '198.18.1.1/32');
    bed.exec(dual.ns, 'ip', 'route', 'add', 'throw', '198.18.2.1/32');
    try {
      for (let i = 0; i < 3; i++) {
        const found = await findKey(bed, node('pub3'), published.key, { all: true });
        assert.equal(found.pointers.length, 1, 'found through the peers it can still reach');
        const foundByDual = await findKey(bed, node('dual'), published.key, { all: true });
        assert.equal(foundByDual.pointers.length, 1, 'dual finds through the others');
      }
      const fromPub3 = await publishTessera(bed, node('pub3'), randomBytes(32).toString('hex'));
      assert.equal(fromPub3.ok, true);
      // pub1 cannot hear from pub3 either, but dual holds the pointer and can answer pub1.
      const foundElsewhere = await findKey(bed, node('pub1'), fromPub3.key);
      assert.equal(foundElsewhere.pointers.length, 1, 'pub3 keeps serving the others');

      const pub3Failures = await failuresSince(node('pub3'), pub3Mark);
      assert.match(pub3Failures.get(pub2Id) ?? '', /EPERM|not permitted/, 'firewalled peer');
      assert.match(pub3Failures.get(pub1Id) ?? '', /EHOSTUNREACH|no route to host/i, 'unroutable');
      const dualFailures = await failuresSince(node('dual'), dualMark);
      assert.match(dualFailures.get(pub2Id) ?? '', /ENETUNREACH|network is unreachable/i);
      for (const [role, mark, id, others] of [
        ['pub3', pub3Mark, dualId, 'dual'],
        ['dual', dualMark, pub1Id, 'pub1'],
      ] as const) {
        const outcomes = await nodeSql<{ ok: number; failed: number }>(
          node(role),
          "SELECT sum(json_extract(data, '$.outcome') = 'ok') AS ok, " +
            "sum(json_extract(data, '$.outcome') != 'ok') AS failed FROM events " +
            `WHERE type = 'rpc_completed' AND seq > ${mark} AND peer = '${id}'`,
        );
        assert.ok((outcomes[0]?.ok ?? 0) > 0, `${role} exchanged with ${others} meanwhile`);
        assert.equal(outcomes[0]?.failed ?? 0, 0, `no RPC of ${role} to ${others} failed`);
      }
      for (const role of ['pub3', 'dual']) {
        assert.equal(node(role).child.exitCode, null, `${role}: ${node(role).output.slice(-2000)}`);
        await nodeStatus(bed, node(role));
      }
      // The IPv6-only host has no IPv4 route: its sends to the IPv4 peers it hears of fail
      // locally (ENETUNREACH) and it keeps serving.
      const toIpv4 = await nodeSql<{ n: number }>(
        node('v6'),
        "SELECT count(*) AS n FROM events WHERE type = 'rpc_sent' AND " +
          "json_extract(data, '$.addr') NOT LIKE '[%'",
      );
      assert.ok((toIpv4[0]?.n ?? 0) > 0, 'the IPv6-only node tried IPv4 peers');
      assert.equal(node('v6').child.exitCode, null, `v6: ${node('v6').output.slice(-2000)}`);
      await nodeStatus(bed, node('v6'));
    } finally {
      bed.exec(pub3.ns, 'iptables', '-D', 'OUTPUT', '-d', '198.18.2.1', '-j', 'DROP');
      bed.exec(pub3.ns, 'ip', 'route', 'del', 'unreachable', '198.18.1.1/32');
      bed.exec(dual.ns, 'ip', 'route', 'del', 'throw', '198.18.2.1/32');
    }
  });

  it("once a firewall that refused a peer's answers is lifted, RPCs to that peer succeed again within 5 s", async () => {
    const pub3 = host('pub3');
    const pub3Id = await idOf('pub3');
    // Otherwise pub2's lookups never ask pub3 and only its check rounds' traffic (every 20 s)
    // could answer, which is no measure of the recovery.
    const held = (await nodePeers(bed, node('pub2'))).map((p) => p.id);
    assert.ok(held.includes(pub3Id), "pub2's routing table holds pub3 (it serves the DHT)");
    const published = await publishTessera(bed, node('pub1'), randomBytes(32).toString('hex'));
    bed.exec(pub3.ns, 'iptables', '-A', 'OUTPUT', '-d', '198.18.2.1', '-j', 'DROP');
    try {
      // pub2 asks pub3, whose answers cannot leave: pub2's RPCs to it time out.
      for (let i = 0; i < 2; i++) await findKey(bed, node('pub2'), published.key, { all: true });
    } finally {
      bed.exec(pub3.ns, 'iptables', '-D', 'OUTPUT', '-d', '198.18.2.1', '-j', 'DROP');
    }
    const liftedAt = Date.now();
    // The deadline is read off pub2's log, not the wall clock around it: on a loaded
    // machine each `tesd sql` of the check takes seconds of its own.
    const firstOk = await waitFor(
      'an RPC of pub2 to pub3 to succeed',
      async () => {
        await findKey(bed, node('pub2'), published.key, { all: true });
        const ok = await nodeSql<{ at: number | null }>(
          node('pub2'),
          "SELECT min(at) AS at FROM events WHERE type = 'rpc_completed' AND " +
            `json_extract(data, '$.outcome') = 'ok' AND peer = '${pub3Id}' AND at > ${liftedAt}`,
        );
        return ok[0]?.at ?? null;
      },
      30_000,
    );
    assert.ok(firstOk - liftedAt <= 5_000, `first answer ${firstOk - liftedAt} ms after the lift`);
  });

  it('ENOBUFS (a full interface queue) costs lost datagrams only: the kernel drops them, QUIC resends', async () => {
    // For UDP, Linux drops a datagram its full device queue refuses and counts it as a
    // SndbufError: sendto(2) reports ENOBUFS only to sockets with IP_RECVERR, which Node's
    // dgram does not set (net/ipv4/udp.c, udp_send_skb). tesd never sees the error; what it
    // must survive is the loss. Last of the timed tests: the QUIC connections that lived
    // through it carry inflated round-trip estimates for a while.
    const pub2 = host('pub2');
    const published = await publishTessera(bed, node('pub1'), randomBytes(32).toString('hex'));
    const refusedBefore = sndbufErrors(bed, pub2);
    bed.exec(pub2.ns, 'tc', ...TINY_QUEUE);
    // Finds together, so that pub2 sends in bursts the queue cannot hold; rounds of them go on
    // (a bounded few) until the kernel has refused some datagrams.
    const results: FindView[] = [];
    let refused = 0;
    try {
      for (let round = 0; round < ENOBUFS_ROUNDS && refused === 0; round++) {
        results.push(...(await findKeyTogether(bed, node('pub2'), published.key, ENOBUFS_FINDS)));
        refused = sndbufErrors(bed, pub2) - refusedBefore;
      }
    } finally {
      bed.exec(pub2.ns, 'tc', 'qdisc', 'del', 'dev', 'eth0', 'root');
    }
    const found = results.filter((result) => result.pointers.length === 1).length;
    console.log(
      `# full queue: ${refused} datagrams refused with ENOBUFS; ${found}/${results.length} finds found`,
    );
    assert.ok(refused > 0, 'the queue refused datagrams');
    assert.equal(found, results.length);
    assert.equal(node('pub2').child.exitCode, null, `pub2: ${node('pub2').output.slice(-2000)}`);
  });

  it('every node is still running, and no node behind the NAT was ever confirmed', async () => {
    for (const n of nodes.values()) {
      assert.equal(n.child.exitCode, null, `${n.name} is running: ${n.output.slice(-2000)}`);
      await nodeStatus(bed, n);
    }
    await assertNeverConfirmed(BEHIND_NAT.map(node));
  });
});

/** A queue that refuses most of a burst: 64 kbit/s, room for one full-size datagram. */
const TINY_QUEUE = ['qdisc', 'add', 'dev', 'eth0', 'root', 'tbf', 'rate', '64kbit'].concat([
  'burst',
  '1600',
  'limit',
  '1600',
]);
const ENOBUFS_FINDS = 12;
const ENOBUFS_ROUNDS = 8;

/** Datagrams the kernel refused for a full queue in `host`'s namespace (IPv4 and IPv6). */
function sndbufErrors(bed: NetBed, host: Host): number {
  const v4counters = bed.exec(host.ns, 'cat', '/proc/net/snmp').split('\n');
  const header = v4counters.find((line) => line.startsWith('Udp: InDatagrams'))!.split(/\s+/);
  const values = v4counters.filter((line) => line.startsWith('Udp: '))[1]!.split(/\s+/);
  const v4 = Number(values[header.indexOf('SndbufErrors')]);
  const v6line = bed
    .exec(host.ns, 'cat', '/proc/net/snmp6')
    .split('\n')
    .find((line) => line.startsWith('Udp6SndbufErrors'));
  return v4 + Number(v6line?.split(/\s+/)[1] ?? 0);
}

/** No `reachability_changed` to `reachable` in these nodes' logs, ever. */
async function assertNeverConfirmed(nodes: readonly BedNode[]): Promise<void> {
  for (const n of nodes) {
    const confirmed = await nodeSql<{ n: number }>(
      n,
      "SELECT count(*) AS n FROM events WHERE type = 'reachability_changed' AND " +
        "json_extract(data, '$.status') = 'reachable'",
    );
    assert.equal(confirmed[0]?.n, 0, `${n.name} was never confirmed reachable`);
  }
}

/** The last `peer_failed` error per peer ID since `afterSeq`. */
async function failuresSince(node: BedNode, afterSeq: number): Promise<Map<string, string>> {
  const rows = await nodeSql<{ peer: string; error: string }>(
    node,
    "SELECT peer, json_extract(data, '$.error') AS error FROM events " +
      `WHERE type = 'peer_failed' AND seq > ${afterSeq} ORDER BY seq`,
  );
  return new Map(rows.map((row) => [row.peer, row.error]));
}

function percentiles(values: number[]): { p50: number; p95: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;
  return { p50: at(0.5), p95: at(0.95), max: sorted.at(-1)! };
}

/**
 * Runs `wait`; when it fails, prints every node's reachability and table, and for each node
 * not confirmed, what its log says of why (diagnosis.ts: who spoke first, what was judged).
 */
async function withDiagnosis<T>(bed: NetBed, all: BedNode[], wait: () => Promise<T>): Promise<T> {
  try {
    return await wait();
  } catch (error) {
    for (const n of all) {
      const status = await nodeStatus(bed, n).catch(() => null);
      const peers = await nodePeers(bed, n).catch(() => []);
      console.log(
        `# ${n.name}: ${JSON.stringify(status?.reachability)} peers ${peers.map((p) => `${p.addr}/${p.caps}`).join(' ')}`,
      );
      if (status?.reachability.status !== 'reachable')
        console.log(await explainReachability(n).catch((e: Error) => `# ${n.name}: ${e.message}`));
    }
    throw error;
  }
}
