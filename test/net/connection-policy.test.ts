import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chooseEviction, type HeldConnection } from '../../src/net/connection-policy.js';

interface Held extends HeldConnection {
  readonly name: string;
  readonly valued: boolean;
}

function held(
  name: string,
  host: string,
  acceptedAtMs: number,
  lastActiveMs: number,
  valued = false,
): Held {
  return { name, host, acceptedAtMs, lastActiveMs, valued };
}

function rules(all: Held[], nowMs: number) {
  const perHost = new Map<string, number>();
  for (const c of all) perHost.set(c.host, (perHost.get(c.host) ?? 0) + 1);
  return {
    nowMs,
    newcomerGraceMs: 10_000,
    idleAfterMs: 1_000,
    perHost,
    valued: (c: HeldConnection) => (c as Held).valued,
  };
}

describe('connection policy: which accepted connection goes when the node is full', () => {
  it('never evicts a newcomer or a busy connection', () => {
    const all = [held('newcomer', 'h1', 95_000, 95_000), held('busy', 'h2', 0, 99_500)];
    assert.equal(chooseEviction(all, rules(all, 100_000)), null);
  });

  it('evicts one not in the routing table before one that is', () => {
    const all = [held('valued', 'h1', 0, 1_000, true), held('stranger', 'h2', 0, 50_000)];
    assert.equal(chooseEviction(all, rules(all, 100_000))?.name, 'stranger');
  });

  it('evicts from the host holding most, then the longest idle', () => {
    const all = [
      held('lone', 'h1', 0, 1_000),
      held('hoarder-a', 'h2', 0, 40_000),
      held('hoarder-b', 'h2', 0, 30_000),
      held('hoarder-c', 'h2', 0, 50_000),
    ];
    assert.equal(chooseEviction(all, rules(all, 100_000))?.name, 'hoarder-b');
  });
});
