import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressGroups, INVALID_GROUPS } from '../../src/projections/network-groups.js';

/**
 * The IP-diversity groups of an address (SPEC §2): per bucket an IPv4 /24 or IPv6 /64, table-wide
 * an IPv4 /24 or IPv6 /48, and the table group as the number each routing entry keeps.
 */

test('an IPv4 address: its /24 for both caps, keyed 2^48 + its 24 bits', () => {
  assert.deepEqual(addressGroups('198.51.100.7:4433'), {
    bucket: '198.51.100.0/24',
    table: '198.51.100.0/24',
    tableKey: 2 ** 48 + 0xc63364,
    loopback: false,
  });
  assert.equal(addressGroups('255.255.255.1:1').tableKey, 2 ** 48 + 0xffffff);
  assert.equal(addressGroups('127.0.0.1:1').loopback, true);
});

test('an IPv6 address: its /64 per bucket, its /48 in the table, keyed by the 48 bits', () => {
  assert.deepEqual(addressGroups('[2001:db8:7:1::1]:4433'), {
    bucket: '2001:db8:7:1::/64',
    table: '2001:db8:7::/48',
    tableKey: 0x2001 * 2 ** 32 + 0x0db8 * 2 ** 16 + 0x0007,
    loopback: false,
  });
  assert.equal(addressGroups('[ffff:ffff:ffff::1]:1').tableKey, 2 ** 48 - 1, 'below IPv4 keys');
  assert.equal(addressGroups('[::1]:1').loopback, true);
});

test('an address that does not parse counts in the group invalid, keyed -1, not loopback', () => {
  assert.deepEqual(addressGroups('not an address'), {
    bucket: 'invalid',
    table: 'invalid',
    tableKey: -1,
    loopback: false,
  });
  assert.equal(addressGroups('127.0.0.1'), INVALID_GROUPS, 'no port');
});

test('an address seen again is not parsed again: the same groups object comes back', () => {
  const first = addressGroups('198.51.100.8:1');
  const second = addressGroups('[2001:db8::8]:1');
  assert.equal(addressGroups('198.51.100.8:1'), first);
  assert.equal(addressGroups('[2001:db8::8]:1'), second);
});
