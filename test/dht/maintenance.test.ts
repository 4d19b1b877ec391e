import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toHex } from '../../src/core/bytes.js';
import { makeConfig } from '../../src/dht/config.js';
import { maintenanceStep, maintenanceTimers } from '../../src/dht/maintenance.js';
import { draft } from '../../src/dht/node-context.js';
import { decideStore } from '../../src/dht/pointer-decisions.js';
import { pointerToData } from '../../src/projections/pointer-data.js';
import { signedPointer } from '../support/pointers.js';
import { added, given, peerIn } from './given.js';

/**
 * Maintenance as values (SPEC §4.3): its timers, and what each decides when it fires, from the
 * state and the time alone. Given/when/then without a Simulation.
 */

const HOUR_MS = 3_600_000;
const T0 = 1_700_000_000_000;

test('given the default settings, then maintenance arms a refresh timer every minute and an expiry timer every five', () => {
  assert.deepEqual(maintenanceTimers(makeConfig({})), [
    { timer: 'refresh', everyMs: 60_000 },
    { timer: 'expiry', everyMs: 300_000 },
  ]);
});

test('given one bucket idle for an hour and one active since, when the refresh timer fires, then only the idle one is refreshed', () => {
  const node = given();
  const self = node.view.identity;
  const idle = peerIn(self, 159, '127.0.1.1:4433');
  const active = peerIn(self, 158, '127.0.2.1:4433');
  node.fold([added(idle, 159)], T0).fold([added(active, 158)], T0 + 1);
  const nowMs = T0 + HOUR_MS;
  assert.deepEqual(maintenanceStep(node.view, 'refresh', { nowMs, clockTrustedFromMs: 0 }), {
    events: [],
    refresh: [159],
    republish: [],
  });
});

test('given our pointer published with a 24 h lifetime, when the refresh timer fires 12 h later, then it is due for republishing, and a minute earlier it is not', () => {
  const node = given();
  const pointer = signedPointer({ tessera: 3, nowMs: T0, expires: T0 / 1000 + 24 * 3600 });
  const data = pointerToData(pointer);
  node.fold([draft('pointer_published', data, { key: toHex(pointer.key) })], T0);
  const at = (nowMs: number) =>
    maintenanceStep(node.view, 'refresh', { nowMs, clockTrustedFromMs: 0 }).republish;
  assert.deepEqual(at(T0 + 12 * HOUR_MS), [data]);
  assert.deepEqual(at(T0 + 12 * HOUR_MS - 60_000), []);
});

test('given a stored pointer past its expiry, when the expiry timer fires, then pointer_expired is decided, and nothing while the clock is behind the log', () => {
  const node = given();
  const pointer = signedPointer({ tessera: 4, nowMs: T0, expires: T0 / 1000 + 60 });
  const { events } = decideStore(node.view, pointer, '127.0.3.1:4433', null, T0);
  node.fold(events, T0);
  const key = toHex(pointer.key);
  const publisher = toHex(pointer.publisher);
  const nowMs = T0 + 61_000;
  const decided = maintenanceStep(node.view, 'expiry', { nowMs, clockTrustedFromMs: 0 });
  assert.deepEqual(decided, {
    events: [draft('pointer_expired', { key, publisher }, { key })],
    refresh: [],
    republish: [],
  });
  const behind = maintenanceStep(node.view, 'expiry', { nowMs, clockTrustedFromMs: nowMs + 1 });
  assert.deepEqual(behind.events, []);
});
