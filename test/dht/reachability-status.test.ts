import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Caps } from '../../src/core/node-info.js';
import { capsFor, decideStatus, type StatusNow } from '../../src/dht/reachability-status.js';

/** What a reachability status changes (issue 15), as values: given/when/then. */

const CONFIGURED = Caps.DHT | Caps.STORAGE;
const AUTO_UNKNOWN: StatusNow = {
  mode: 'auto',
  status: 'unknown',
  caps: Caps.STORAGE,
  configuredCaps: CONFIGURED,
  addr: '198.18.1.1:4433',
};

test('given each mode, then DHT is advertised by a server always, by auto once reachable, by a client never', () => {
  const statuses = ['unknown', 'reachable', 'unreachable'] as const;
  assert.deepEqual(
    (['server', 'auto', 'client'] as const).map((mode) =>
      statuses.map((status) => capsFor(mode, status, CONFIGURED)),
    ),
    [
      [CONFIGURED, CONFIGURED, CONFIGURED],
      [Caps.STORAGE, CONFIGURED, Caps.STORAGE],
      [Caps.STORAGE, Caps.STORAGE, Caps.STORAGE],
    ],
  );
});

test('given auto and unknown, when reachable, then reachability_changed with the DHT caps, and we announce that we serve', () => {
  assert.deepEqual(
    decideStatus(AUTO_UNKNOWN, 'reachable', 'probed unsolicited by 198.18.2.1:4433'),
    {
      changed: {
        status: 'reachable',
        previous: 'unknown',
        addr: '198.18.1.1:4433',
        mode: 'auto',
        caps: CONFIGURED,
        reason: 'probed unsolicited by 198.18.2.1:4433',
      },
      caps: CONFIGURED,
      announce: true,
    },
  );
});

test('given a server, when unreachable, then the event but the same caps and no announcement; when the status stays, then nothing', () => {
  const server: StatusNow = { ...AUTO_UNKNOWN, mode: 'server', caps: CONFIGURED };
  const change = decideStatus(server, 'unreachable', 'silent');
  assert.deepEqual([change?.caps, change?.announce], [CONFIGURED, false]);
  assert.equal(decideStatus(server, 'unknown', 'again'), null);
});
