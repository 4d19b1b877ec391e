import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  diversityGroup,
  isSiteScoped,
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

test('site-scoped addresses: private, shared (CGNAT), link-local, loopback, unique-local', () => {
  const scoped = ['10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.7', '100.64.0.1'];
  scoped.push(
    '100.127.255.255',
    '169.254.1.1',
    '127.0.0.1',
    '::1',
    'fd00::1',
    'fc00::1',
    'fe80::1',
  );
  for (const host of scoped) assert.equal(isSiteScoped(host), true, host);
  const global = ['172.15.255.255', '172.32.0.1', '100.63.255.255', '100.128.0.1', '192.169.0.1'];
  global.push(
    '198.18.0.1',
    '198.51.100.1',
    '203.0.113.5',
    '2001:db8::1',
    'fec0::1',
    '0.0.0.0',
    '::',
  );
  for (const host of global) assert.equal(isSiteScoped(host), false, host);
});
