import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../e2e/tesd-process.js';
import { bedUnavailableReason, NetBed, type Host } from './bed.js';
import {
  findKey,
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
 * a dual-stack host, an IPv6-only host, two hosts behind a NAT router and a fresh public
 * host. Addresses come from the benchmark and documentation ranges only.
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
/** Joining, then a few reachability rounds (every 20 s) until the public hosts are confirmed. */
const JOIN_MS = 120_000;

const v4 = (ip: string): string => `${ip}:${PORT}`;
const v6 = (ip: string): string => `[${ip}]:${PORT}`;

describe('network test bed', { skip: unavailable ?? false }, () => {
  let bed: NetBed;
  const nodes = new Map<string, BedNode>();
  const host = (role: string): Host => bed.hosts.get(role)!;
  const node = (role: string): BedNode => nodes.get(role)!;

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
    // Public hosts run --server: the auto check does not yet confirm them reliably on this bed
    // (issue 15 note); the NAT hosts run in auto mode and must stay clients.
    nodes.set('pub1', await startNode(bed, host('pub1'), `0.0.0.0:${PORT}`, [], ['--server']));
    const started = await Promise.all([
      startNode(bed, host('pub2'), v4('198.18.2.1'), [seed], ['--server']),
      startNode(bed, host('pub3'), `0.0.0.0:${PORT}`, [seed], ['--server']),
      startNode(bed, host('dual'), `[::]:${PORT}`, [seed], ['--server']),
    ]);
    for (const n of started) nodes.set(n.name, n);
    nodes.set('v6', await startNode(bed, host('v6'), `[::]:${PORT}`, [v6('2001:db8:4::1')]));
    const behindNat = await Promise.all([
      startNode(bed, host('nat1'), `0.0.0.0:${PORT}`, [seed]),
      startNode(bed, host('nat2'), `0.0.0.0:${PORT}`, [seed]),
    ]);
    for (const n of behindNat) nodes.set(n.name, n);
  });

  after(async () => {
    await Promise.all([...nodes.values()].map((n) => stopNode(n)));
    bed.teardown();
    assert.deepEqual(bed.leftovers(), [], 'no namespace of the bed is left');
  });

  it('public hosts form a network at their real addresses', async () => {
    const publics = ['pub1', 'pub2', 'pub3', 'dual'];
    const expected = ['198.18.1.1', '198.18.2.1', '198.18.3.1', '198.18.4.1'].map(v4);
    await withDiagnosis(bed, [...nodes.values()], () =>
      waitFor(
        'the public hosts to be reachable and know each other',
        async () => {
          for (const [i, role] of publics.entries()) {
            const status = await nodeStatus(bed, node(role));
            if (status.client) return false;
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

  it('a public node in auto mode confirms its reachability by dial-back', {
    todo: "flaky on this bed since the engine refactor: a third node's probe often never counts (issue 15 note)",
  });

  it('a public node bound to 0.0.0.0 advertises its real address as a holder', async () => {
    for (const role of ['pub1', 'pub3']) {
      const status = await waitFor(`${role} to agree on its address`, async () => {
        const s = await nodeStatus(bed, node(role));
        return s.reachability.agreed_addr !== null && s;
      });
      assert.equal(status.advertised_addr, status.reachability.agreed_addr);
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
    // v6 joined while dual was still a client; its next reachability round meets it again.
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

  it('nodes behind NAT publish and find, are in no public routing table, and say so', async () => {
    const fromNat = await publishTessera(bed, node('nat1'), randomBytes(32).toString('hex'));
    assert.equal(fromNat.ok, true);
    assert.ok(fromNat.stored_at > 0);
    const found = await findKey(bed, node('pub2'), fromNat.key);
    assert.equal(found.pointers.length, 1);
    const fromPublic = await publishTessera(bed, node('pub1'), randomBytes(32).toString('hex'));
    const foundBehindNat = await findKey(bed, node('nat2'), fromPublic.key);
    assert.equal(foundBehindNat.pointers.length, 1);

    const natIds = new Set([
      (await nodeStatus(bed, node('nat1'))).id,
      (await nodeStatus(bed, node('nat2'))).id,
    ]);
    for (const role of ['pub1', 'pub2', 'pub3', 'dual', 'v6']) {
      const peers = await nodePeers(bed, node(role));
      const held = peers.filter((p) => natIds.has(p.id) || p.addr.startsWith('198.18.0.1:'));
      assert.deepEqual(held, [], `${role}'s routing table holds no node behind the NAT`);
    }
    for (const role of ['nat1', 'nat2']) {
      const status = await nodeStatus(bed, node(role));
      assert.equal(status.client, true, `${role} acts as a client`);
      assert.notEqual(status.reachability.status, 'reachable');
      assert.match(status.reachability.summary, /client until confirmed reachable/);
    }
  });

  it('local send errors (EPERM from a firewall, EHOSTUNREACH and ENETUNREACH from routes) cost only those peers', async () => {
    const pub3 = host('pub3');
    const published = await publishTessera(bed, node('pub2'), randomBytes(32).toString('hex'));
    const pub2Id = (await nodeStatus(bed, node('pub2'))).id;
    const pub1Id = (await nodeStatus(bed, node('pub1'))).id;
    bed.exec(pub3.ns, 'iptables', '-A', 'OUTPUT', '-d', '198.18.2.1', '-j', 'DROP');
    bed.exec(pub3.ns, 'ip', 'route', 'add', 'unreachable', '198.18.1.1/32');
    try {
      for (let i = 0; i < 3; i++) {
        const found = await findKey(bed, node('pub3'), published.key, { all: true });
        assert.equal(found.pointers.length, 1, 'found through the peers it can still reach');
      }
      const fromPub3 = await publishTessera(bed, node('pub3'), randomBytes(32).toString('hex'));
      assert.equal(fromPub3.ok, true);
      const foundElsewhere = await findKey(bed, node('dual'), fromPub3.key);
      assert.equal(foundElsewhere.pointers.length, 1, 'it keeps serving the others');
      const failed = await nodeSql<{ peer: string; n: number }>(
        node('pub3'),
        "SELECT peer, count(*) AS n FROM events WHERE type = 'rpc_completed' AND " +
          "json_extract(data, '$.outcome') != 'ok' GROUP BY peer",
      );
      const failedPeers = new Set(failed.map((row) => row.peer));
      assert.ok(
        failedPeers.has(pub2Id),
        `RPCs to the firewalled peer failed: ${JSON.stringify(failed)}`,
      );
      assert.ok(
        failedPeers.has(pub1Id),
        `RPCs to the unroutable peer failed: ${JSON.stringify(failed)}`,
      );
      assert.equal(
        node('pub3').child.exitCode,
        null,
        `pub3 is running: ${node('pub3').output.slice(-2000)}`,
      );
      await nodeStatus(bed, node('pub3'));
      // The IPv6-only host has no IPv4 route: its sends to the IPv4 peers it hears of fail
      // locally (ENETUNREACH) and it keeps serving.
      const toIpv4 = await nodeSql<{ n: number }>(
        node('v6'),
        "SELECT count(*) AS n FROM events WHERE type = 'rpc_sent' AND " +
          "json_extract(data, '$.addr') NOT LIKE '[%'",
      );
      assert.ok((toIpv4[0]?.n ?? 0) > 0, 'the IPv6-only node tried IPv4 peers');
      assert.equal(
        node('v6').child.exitCode,
        null,
        `v6 is running: ${node('v6').output.slice(-2000)}`,
      );
      await nodeStatus(bed, node('v6'));
    } finally {
      bed.exec(pub3.ns, 'iptables', '-D', 'OUTPUT', '-d', '198.18.2.1', '-j', 'DROP');
      bed.exec(pub3.ns, 'ip', 'route', 'del', 'unreachable', '198.18.1.1/32');
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

  it(`lossy links (${LOSS * 100}% loss, ${DELAY_MIN_MS}-${DELAY_MAX_MS} ms delay): finds >= 0.98`, async () => {
    const lossy = ['pub1', 'pub2', 'pub3', 'dual', 'v6'];
    for (const role of lossy) bed.impair(host(role), LOSS, DELAY_MIN_MS, DELAY_MAX_MS);
    try {
      const publishers = ['pub1', 'pub2', 'pub3', 'dual', 'v6'];
      const keys: string[] = [];
      for (const role of publishers) {
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
    } finally {
      for (const role of lossy) bed.unimpair(host(role));
    }
  });

  it('every node is still running', async () => {
    for (const n of nodes.values()) {
      assert.equal(n.child.exitCode, null, `${n.name} is running: ${n.output.slice(-2000)}`);
      await nodeStatus(bed, n);
    }
  });
});

function percentiles(values: number[]): { p50: number; p95: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;
  return { p50: at(0.5), p95: at(0.95), max: sorted.at(-1)! };
}

/** Runs `wait`; when it fails, prints every node's reachability and table to explain why. */
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
    }
    throw error;
  }
}
