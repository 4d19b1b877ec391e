import assert from 'node:assert/strict';
import { test } from 'node:test';
import { admissionKeys, RateLimiter } from '../../src/dht/rate-limiter.js';

/** Admission by source host (SPEC §3.1): exact quotas, windows and grouping. */

const T0 = 1_700_000_000_000;

/** How many of `n` requests from `addr` at `nowMs` are admitted. */
function admitted(limiter: RateLimiter, addr: string, n: number, nowMs = T0): number {
  let count = 0;
  for (let i = 0; i < n; i++) if (limiter.allow(addr, nowMs)) count++;
  return count;
}

test('a host gets exactly its quota per second, whatever port it sends from', () => {
  const limiter = new RateLimiter(5, 100);
  assert.equal(admitted(limiter, '198.51.100.7:1000', 3), 3);
  assert.equal(admitted(limiter, '198.51.100.7:2000', 3), 2, 'ports share the host quota');
  assert.equal(admitted(limiter, '198.51.100.7:3000', 1, T0 + 999), 0, 'same window');
  assert.equal(admitted(limiter, '198.51.100.8:1000', 5), 5, 'another host has its own');
});

test('the window restarts exactly one second after it began', () => {
  const limiter = new RateLimiter(2, 100);
  assert.equal(admitted(limiter, '198.51.100.7:1', 2, T0), 2);
  assert.equal(admitted(limiter, '198.51.100.7:1', 1, T0 + 999), 0);
  assert.equal(admitted(limiter, '198.51.100.7:1', 3, T0 + 1_000), 2, 'a new window');
  assert.equal(admitted(limiter, '198.51.100.7:1', 1, T0 + 1_999), 0, 'counted from T0 + 1 s');
  assert.equal(admitted(limiter, '198.51.100.7:1', 1, T0 + 2_000), 1);
});

test('a /24 gets its ceiling, all its hosts together; refusals do not count', () => {
  const limiter = new RateLimiter(3, 7);
  assert.equal(admitted(limiter, '198.51.100.1:1', 10), 3);
  assert.equal(admitted(limiter, '198.51.100.2:1', 10), 3);
  assert.equal(admitted(limiter, '198.51.100.3:1', 10), 1, 'the /24 ceiling of 7');
  assert.equal(admitted(limiter, '198.51.101.1:1', 3), 3, 'the next /24 is another network');
});

test('the default network ceiling is four full-rate hosts', () => {
  const limiter = new RateLimiter(2);
  let total = 0;
  for (let host = 1; host <= 6; host++) total += admitted(limiter, `198.51.100.${host}:1`, 5);
  assert.equal(total, 8);
});

test('admission keys: IPv4 host and /24; IPv6 /64 host and /48 network; junk shares one bucket', () => {
  assert.deepEqual(admissionKeys('198.51.100.7:4433'), {
    host: '198.51.100.7',
    network: '198.51.100.0/24',
  });
  assert.deepEqual(admissionKeys('[2001:db8:1:2:3::4]:4433'), {
    host: '2001:db8:1:2::/64',
    network: '2001:db8:1::/48',
  });
  assert.deepEqual(admissionKeys('[2001:db8::1]:1'), {
    host: '2001:db8::/64',
    network: '2001:db8::/48',
  });
  assert.deepEqual(admissionKeys('[::1]:1'), {
    host: '::/64',
    network: '::/48',
  });
  assert.deepEqual(admissionKeys('[fe80:1:2:3:4:5:6:7]:1'), {
    host: 'fe80:1:2:3::/64',
    network: 'fe80:1:2::/48',
  });
  assert.deepEqual(admissionKeys('not an address'), { host: 'invalid', network: 'invalid' });
  const limiter = new RateLimiter(2, 100);
  assert.equal(admitted(limiter, '[2001:db8:1:2::5]:1', 1), 1);
  assert.equal(admitted(limiter, '[2001:db8:1:2::6]:9', 2), 1, 'one /64 is one host');
  assert.equal(admitted(limiter, 'junk-a', 1) + admitted(limiter, 'junk-b', 2), 2);
});
