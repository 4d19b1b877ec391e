import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Caps, type PeerInfo } from '../../src/core/node-info.js';
import { NAT_MAPPING_WINDOW_MS, judgeInbound } from '../../src/dht/reachability-evidence.js';
import { Reachability } from '../../src/dht/reachability-state.js';
import { seededRandom } from '../../src/core/random.js';
import { identity } from './given.js';

/**
 * The rule that makes an inbound request proof of reachability (issue 15;
 * src/dht/reachability-evidence.ts), given our traffic with its host, when it arrives, then
 * exactly this verdict.
 */

const T = 1_800_000_000_000;
const WINDOW = NAT_MAPPING_WINDOW_MS;
const US = '198.18.1.1:4433';

test('the NAT mapping window is six minutes', () => {
  assert.equal(WINDOW, 360_000);
});

test('given no traffic with a host, when it sends us a request, then it is proof', () => {
  assert.equal(judgeInbound('198.18.2.1:4433', US, undefined, T), 'proof');
});

test('given traffic with a host at T, when it sends a request within the window, then it proves nothing', () => {
  assert.equal(judgeInbound('198.18.2.1:4433', US, T, T), 'contacted');
  assert.equal(judgeInbound('198.18.2.1:4433', US, T, T + WINDOW - 1), 'contacted');
  assert.equal(judgeInbound('198.18.2.1:4433', US, T, T + WINDOW), 'proof');
});

test('given an IPv4 advertised address, when a request comes over IPv6, then that address is untested', () => {
  assert.equal(judgeInbound('[2001:db8:6::1]:4433', US, undefined, T), 'other_family');
  assert.equal(
    judgeInbound('198.18.2.1:4433', '[2001:db8:4::1]:4433', undefined, T),
    'other_family',
  );
  assert.equal(judgeInbound('[2001:db8:6::1]:4433', '[::]:4433', undefined, T), 'proof');
});

test('given a public or unspecified advertised address, when a request comes from our own site, then it proves nothing', () => {
  for (const lan of ['192.168.1.7:4433', '10.0.0.2:4433', '172.16.0.9:1', '100.64.0.1:1'])
    assert.equal(judgeInbound(lan, US, undefined, T), 'same_site', lan);
  assert.equal(judgeInbound('192.168.1.7:4433', '0.0.0.0:4433', undefined, T), 'same_site');
  assert.equal(judgeInbound('[fd00::7]:4433', '[2001:db8:4::1]:4433', undefined, T), 'same_site');
  assert.equal(judgeInbound('[fe80::7]:4433', '[::]:4433', undefined, T), 'same_site');
});

test('given a private advertised address (a private network), when a peer of that network sends a request, then it is proof', () => {
  assert.equal(judgeInbound('10.0.0.2:4433', '10.0.0.1:4433', undefined, T), 'proof');
});

test('given an address that does not parse, then it proves nothing', () => {
  assert.equal(judgeInbound('nonsense', US, undefined, T), 'invalid');
  assert.equal(judgeInbound('198.18.2.1:4433', 'nonsense', undefined, T), 'invalid');
});

function peerAt(addr: string): PeerInfo {
  return { identity: identity(), addr, caps: Caps.DHT };
}

/** A Reachability state that records the verdict inputs its listener is called with. */
function listening(): { reach: Reachability; heard: Array<[string, number | undefined]> } {
  const reach = new Reachability('auto', 2, T);
  const heard: Array<[string, number | undefined]> = [];
  reach.onRequest = (addr, _op, nowMs) => heard.push([addr, reach.lastContactAt(addr, nowMs)]);
  return { reach, heard };
}

test('given checks running, when we send a request to a host, then its traffic is remembered per host until the window ends', () => {
  const { reach } = listening();
  reach.noteContacted('198.18.2.1:4433', T);
  assert.equal(reach.lastContactAt('198.18.2.1:5000', T + 1), T, 'another port of the host');
  assert.equal(reach.lastContactAt('198.18.2.2:4433', T + 1), undefined, 'another host');
  assert.equal(reach.lastContactAt('198.18.2.1:4433', T + WINDOW), T);
  assert.equal(reach.lastContactAt('198.18.2.1:4433', T + WINDOW + 1), undefined, 'forgotten');
  reach.noteContacted('[2001:db8:6::1]:4433', T);
  assert.equal(reach.lastContactAt('[2001:db8:6::2]:1', T), T, 'an IPv6 host is its /64');
});

test('given a listener, when requests arrive, then each is judged on the traffic before it, then counts as traffic', () => {
  const { reach, heard } = listening();
  const stranger = peerAt('198.18.3.1:4433');
  reach.requestArrived(stranger, 'find_node', T);
  reach.requestArrived(stranger, 'ping', T + 60_000);
  reach.requestArrived(stranger, 'ping', T + 60_000 + WINDOW + 1);
  assert.deepEqual(heard, [
    ['198.18.3.1:4433', undefined],
    ['198.18.3.1:4433', T],
    ['198.18.3.1:4433', undefined],
  ]);
  assert.deepEqual(
    reach.recentPeers().map((p) => p.addr),
    ['198.18.3.1:4433'],
  );
});

test('given no listener (checks off), when we send a request, then no traffic is remembered', () => {
  const reach = new Reachability('server', 2, T);
  reach.noteContacted('198.18.2.1:4433', T);
  assert.equal(reach.lastContactAt('198.18.2.1:4433', T), undefined);
});

test('given verified peers, when more than 64 arrive, then the 64 latest are kept, oldest first, each once', () => {
  const reach = new Reachability('server', 2, T);
  const peers = Array.from({ length: 70 }, (_, i) => peerAt(`198.18.4.${i + 1}:4433`));
  for (const peer of peers) reach.noteVerified(peer);
  reach.noteVerified(peers[10]!);
  assert.deepEqual(
    reach.recentPeers().map((p) => p.addr),
    [...peers.slice(6, 10), ...peers.slice(11), peers[10]!].map((p) => p.addr),
  );
});

test('given 100 peers noted 2,000 times in a seeded order, then the 64 noted last are kept, in the order of their last note', () => {
  const reach = new Reachability('server', 2, T);
  const peers = Array.from({ length: 100 }, (_, i) => peerAt(`198.18.6.${i + 1}:4433`));
  const random = seededRandom(11);
  const lastNoted = new Map<PeerInfo, number>();
  for (let note = 0; note < 2_000; note++) {
    // Skewed toward the first peers, so some are noted again while still held.
    const peer = peers[Math.floor(random.float() ** 2 * peers.length)]!;
    reach.noteVerified(peer);
    lastNoted.set(peer, note);
  }
  const expected = [...lastNoted]
    .sort((a, b) => a[1] - b[1])
    .slice(-64)
    .map(([peer]) => peer.addr);
  assert.deepEqual(
    reach.recentPeers().map((p) => p.addr),
    expected,
  );
});

test('given verified peers, when a known one comes back at a new address, then it is kept once, last, at that address', () => {
  const reach = new Reachability('server', 2, T);
  const [a, b, c] = ['198.18.5.1:4433', '198.18.5.2:4433', '198.18.5.3:4433'].map(peerAt);
  for (const peer of [a!, b!, c!]) reach.noteVerified(peer);
  reach.noteVerified({ ...a!, addr: '198.18.5.9:4433' });
  reach.noteVerified(b!);
  assert.deepEqual(
    reach.recentPeers().map((p) => p.addr),
    ['198.18.5.3:4433', '198.18.5.9:4433', '198.18.5.2:4433'],
  );
});

test('given no listener (checks off), when requests arrive, then no traffic is recorded', () => {
  const reach = new Reachability('server', 2, T);
  reach.requestArrived(peerAt('198.18.3.1:4433'), 'ping', T);
  assert.equal(reach.lastContactAt('198.18.3.1:4433', T), undefined);
  assert.equal(reach.recentPeers().length, 1, 'still a candidate third party');
});
