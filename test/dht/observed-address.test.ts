import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DialLimiter } from '../../src/dht/dial-limiter.js';
import { OBSERVATION_TTL_MS, ObservedAddresses } from '../../src/dht/observed-address.js';

test('given one peer host, when it reports an address from many ports, then nothing is agreed', () => {
  const observed = new ObservedAddresses(2);
  for (let port = 4000; port < 4010; port++)
    assert.equal(observed.observe('198.18.1.1:4433', `198.18.2.1:${port}`, 1_000), null);
  assert.equal(observed.agreed, null);
  assert.deepEqual(observed.leading(1_000), { addr: '198.18.1.1:4433', voters: 1 });
});

test('given two distinct hosts, when they report the same address, then it is agreed once', () => {
  const observed = new ObservedAddresses(2);
  observed.observe('198.18.1.1:4433', '198.18.2.1:4433', 1_000);
  assert.equal(
    observed.observe('[::ffff:198.18.1.1]:4433', '198.18.3.1:4433', 2_000),
    '198.18.1.1:4433',
  );
  assert.equal(observed.observe('198.18.1.1:4433', '198.18.4.1:4433', 3_000), null);
  assert.equal(observed.agreed, '198.18.1.1:4433');
});

test('given an agreed address, when one host reports another, then the agreed one holds', () => {
  const observed = new ObservedAddresses(2);
  observed.observe('198.18.1.1:4433', '198.18.2.1:4433', 1_000);
  observed.observe('198.18.1.1:4433', '198.18.3.1:4433', 1_000);
  assert.equal(observed.observe('203.0.113.9:1', '198.18.4.1:4433', 2_000), null);
  assert.equal(observed.agreed, '198.18.1.1:4433');
});

test('given a NAT that remaps, when two hosts see the new mapping, then it becomes the agreed one', () => {
  const observed = new ObservedAddresses(2);
  observed.observe('198.18.0.1:5000', '198.18.2.1:4433', 1_000);
  observed.observe('198.18.0.1:5000', '198.18.3.1:4433', 1_000);
  observed.observe('198.18.0.1:6000', '198.18.2.1:4433', 2_000);
  assert.equal(observed.observe('198.18.0.1:6000', '198.18.3.1:4433', 3_000), '198.18.0.1:6000');
});

test('IPv6 voters count per /64: two addresses of one /64 are one voter', () => {
  const observed = new ObservedAddresses(2);
  observed.observe('[2001:db8:6::1]:4433', '[2001:db8:4::1]:4433', 1_000);
  assert.equal(observed.observe('[2001:db8:6::1]:4433', '[2001:db8:4::2]:4433', 1_000), null);
  assert.equal(
    observed.observe('[2001:db8:6::1]:4433', '[2001:db8:5::1]:4433', 1_000),
    '[2001:db8:6::1]:4433',
  );
});

test('given two addresses with as many voters, then the one voted for last leads', () => {
  const observed = new ObservedAddresses(3);
  observed.observe('198.18.1.1:4433', '198.18.2.1:4433', 1_000);
  observed.observe('198.18.1.1:5000', '198.18.3.1:4433', 2_000);
  observed.observe('198.18.1.1:5000', '198.18.4.1:4433', 3_000);
  observed.observe('198.18.1.1:4433', '198.18.5.1:4433', 4_000);
  assert.deepEqual(observed.leading(4_000), { addr: '198.18.1.1:4433', voters: 2 });
  observed.observe('198.18.1.1:5000', '198.18.3.1:4433', 5_000);
  assert.deepEqual(observed.leading(5_000), { addr: '198.18.1.1:5000', voters: 2 });
  assert.equal(observed.agreed, null);
});

test('votes older than the observation TTL no longer count', () => {
  const observed = new ObservedAddresses(2);
  observed.observe('198.18.1.1:4433', '198.18.2.1:4433', 0);
  assert.equal(
    observed.observe('198.18.1.1:4433', '198.18.3.1:4433', OBSERVATION_TTL_MS + 1),
    null,
  );
  assert.equal(observed.agreed, null);
});

test('given votes cast at different times, when the TTL of each passes, then each stops counting then', () => {
  const observed = new ObservedAddresses(2);
  const tenMinutes = 10 * 60_000;
  observed.observe('198.18.1.1:4433', '198.18.2.1:4433', 0);
  observed.observe('198.18.1.1:4433', '198.18.3.1:4433', tenMinutes);
  assert.deepEqual(observed.leading(OBSERVATION_TTL_MS), { addr: '198.18.1.1:4433', voters: 2 });
  assert.deepEqual(observed.leading(OBSERVATION_TTL_MS + 1), {
    addr: '198.18.1.1:4433',
    voters: 1,
  });
  assert.equal(observed.leading(tenMinutes + OBSERVATION_TTL_MS + 1), null);
});

test('given a clock that stepped back, when the TTL of the earlier-stamped vote passes, then it alone stops counting', () => {
  const observed = new ObservedAddresses(2);
  const hour = 60 * 60_000;
  observed.observe('198.18.1.1:4433', '198.18.2.1:4433', hour);
  observed.observe('198.18.1.1:4433', '198.18.3.1:4433', 0);
  assert.deepEqual(observed.leading(OBSERVATION_TTL_MS + 1), {
    addr: '198.18.1.1:4433',
    voters: 1,
  });
});

test('dial limiter: per requester, per target and in total per window', () => {
  const limiter = new DialLimiter({
    windowMs: 60_000,
    perRequester: 2,
    perTarget: 1,
    totalPerWindow: 3,
  });
  assert.equal(limiter.allow('a', 't1', 0), true);
  assert.equal(limiter.allow('a', 't1', 1), false, 'one dial per target');
  assert.equal(limiter.allow('a', 't2', 2), true);
  assert.equal(limiter.allow('a', 't3', 3), false, 'two per requester');
  assert.equal(limiter.allow('b', 't3', 4), true);
  assert.equal(limiter.allow('c', 't4', 5), false, 'three in total');
  assert.equal(limiter.allow('c', 't4', 60_000), true, 'a new window');
});

test('given one IPv4 and one IPv6 voter (a dual-stack node), then the IPv4 address leads, whichever came last', () => {
  const observed = new ObservedAddresses(2);
  observed.observe('198.18.4.1:4433', '198.18.1.1:4433', 1_000);
  observed.observe('[2001:db8:4::1]:4433', '[2001:db8:6::1]:4433', 2_000);
  assert.deepEqual(observed.leading(2_000), { addr: '198.18.4.1:4433', voters: 1 });
  observed.observe('[2001:db8:4::1]:4433', '[2001:db8:7::1]:4433', 3_000);
  assert.deepEqual(observed.leading(3_000), { addr: '[2001:db8:4::1]:4433', voters: 2 });
});
