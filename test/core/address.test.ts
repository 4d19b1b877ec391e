import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  diversityGroup,
  networkGroup,
  normalizeAddress,
  normalizeHost,
  sourceHost,
} from '../../src/core/address.js';

test('IPv4-mapped IPv6, dotted or hex, is written as the IPv4 address it maps', () => {
  assert.equal(normalizeHost('::ffff:198.18.1.1'), '198.18.1.1');
  assert.equal(normalizeHost('::FFFF:c612:101'), '198.18.1.1');
  assert.equal(normalizeAddress('[::ffff:198.18.1.1]:4433'), '198.18.1.1:4433');
});

test('IPv6 is written in its RFC 5952 form: one host, one text', () => {
  assert.equal(normalizeHost('2001:DB8:0:0:0:0:0:1'), '2001:db8::1');
  assert.equal(normalizeHost('2001:0db8::0001'), '2001:db8::1');
  assert.equal(normalizeHost('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
  assert.equal(normalizeHost('1:0:0:2:0:0:0:3'), '1:0:0:2::3');
  assert.equal(normalizeHost('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1');
  assert.equal(normalizeHost('::'), '::');
  assert.equal(normalizeHost('::1'), '::1');
  assert.equal(normalizeAddress('[2001:db8:0:0:6:0:0:1]:4433'), '[2001:db8::6:0:0:1]:4433');
});

test('zone IDs, host names and malformed literals are no addresses', () => {
  assert.equal(normalizeHost('fe80::1%eth0'), null);
  assert.equal(normalizeHost('example.org'), null);
  assert.equal(normalizeHost('01.2.3.4'), null);
  assert.equal(normalizeAddress('[2001:db8::1]'), null);
});

test('IPv6 groups: /64 per host and diversity, /48 for the wider ceilings', () => {
  assert.equal(diversityGroup('2001:db8:1:2:3::1'), '2001:db8:1:2::/64');
  assert.equal(sourceHost('2001:db8:1:2:3::1'), '2001:db8:1:2::/64');
  assert.equal(networkGroup('2001:db8:1:2:3::1'), '2001:db8:1::/48');
  assert.equal(networkGroup('2001:db8:1:ffff::9'), '2001:db8:1::/48');
});

test('IPv4 groups: the address per host, /24 for diversity and ceilings', () => {
  assert.equal(sourceHost('198.18.1.1'), '198.18.1.1');
  assert.equal(diversityGroup('198.18.1.77'), '198.18.1.0/24');
  assert.equal(networkGroup('198.18.1.77'), '198.18.1.0/24');
});
