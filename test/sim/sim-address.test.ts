import assert from 'node:assert/strict';
import { test } from 'node:test';
import { networkGroup, normalizeAddress, parseAddress } from '../../src/core/address.js';
import type { LookupResult } from '../../src/dht/iterative-lookup.js';
import { createSimulation, simAddress } from '../../src/sim/simulation.js';
import { trueClosest } from '../support/true-closest.js';

test('the first 65,536 simulated nodes get loopback addresses, one /24 each', () => {
  assert.equal(simAddress(0), '127.0.0.1:4433');
  assert.equal(simAddress(257), '127.1.1.1:4433');
  assert.equal(simAddress(65_535), '127.255.255.1:4433');
});

test('the next 65,536 get canonical addresses in 2001:db8::/32, each in its own /48', () => {
  const indexes = [65_536, 65_537, 65_538, 100_000, 131_071];
  const addresses = indexes.map(simAddress);
  assert.deepEqual(addresses.slice(0, 2), ['[2001:db8::1]:4433', '[2001:db8:1::1]:4433']);
  const groups = new Set<string>();
  for (const address of addresses) {
    assert.equal(normalizeAddress(address), address);
    const host = parseAddress(address)!.host;
    assert.ok(host.startsWith('2001:db8:'), address);
    groups.add(networkGroup(host));
  }
  assert.equal(groups.size, indexes.length);
});

test('past 131,072 nodes the addresses are still distinct, one /64 each', () => {
  assert.equal(simAddress(131_072), '[2001:db8:0:1::1]:4433');
  assert.notEqual(simAddress(131_072), simAddress(65_536));
});

test('nodes on the addresses past 65,536 bootstrap and find the true k closest', () => {
  const sim = createSimulation({ seed: 7, nodes: 0, checkEveryStep: true, config: { k: 4 } });
  for (let i = 0; i < 12; i++) sim.addNode({ addr: simAddress(65_536 + i * 7919) });
  sim.bootstrapAll();
  sim.runUntilIdle();
  const target = sim.random.bytes(20);
  const from = sim.nodes[3]!;
  let result: LookupResult | undefined;
  from.node.lookup({ target, kind: 'node' }, (r) => (result = r));
  sim.runUntilIdle();
  const identities = sim.nodes.map((n) => n.identity);
  const truth = trueClosest(identities, target, 4, from.identity.idHex);
  assert.deepEqual(
    result?.closest.map((p) => p.identity.idHex),
    truth,
  );
  assert.ok(result.closest.every((p) => p.addr.startsWith('[2001:db8:')));
});
