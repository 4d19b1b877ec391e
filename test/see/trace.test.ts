import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  adminToken,
  Cluster,
  getJson,
  runTesd,
  waitFor,
  type Status,
  type TesdNode,
} from '../e2e/tesd-process.js';

interface LookupLine {
  id: number;
  kind: string;
}

/** A hash of every file of a data directory: equal before and after means nothing written. */
function digest(dir: string): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(dir).sort()) {
    if (name.endsWith('.lock')) continue;
    hash.update(name).update(readFileSync(join(dir, name)));
  }
  return hash.digest('hex');
}

describe('tesd trace on the logs of a devnet (real tesd processes on loopback)', () => {
  const cluster = new Cluster();
  let a: TesdNode, b: TesdNode, c: TesdNode;
  let publishLookup: number;
  let bootstrapLookup: number;
  const ids: Record<string, string> = {};

  before(async () => {
    [a, b, c] = [await cluster.node('a'), await cluster.node('b'), await cluster.node('c')];
    ids['b'] = (await cluster.start(b)).id;
    ids['c'] = (await cluster.start(c, [b])).id;
    await waitFor(
      'B to know C',
      async () => (await getJson<Status>(b.admin, '/status')).peers >= 1,
    );
    ids['a'] = (await cluster.start(a, [b])).id;
    await waitFor(
      'A to know B and C',
      async () => (await getJson<Status>(a.admin, '/status')).peers >= 2,
    );
    const response = await fetch(`http://${a.admin}/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken(a)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tessera: randomBytes(32).toString('hex') }),
      signal: AbortSignal.timeout(15_000),
    });
    const published = (await response.json()) as { ok: boolean; lookup: number; stored_at: number };
    assert.equal(published.ok, true);
    publishLookup = published.lookup;
    const lookups = await runTesd([
      'lookups',
      '--json',
      '--kind',
      'bootstrap',
      '--data-dir',
      a.dataDir,
    ]);
    bootstrapLookup = (JSON.parse(lookups.stdout) as LookupLine[]).at(-1)!.id;
    // Stopped cleanly: the trace reads logs nobody writes, as an operator's backups would be.
    for (const node of [a, b, c]) node.child.kill('SIGTERM');
    for (const node of [a, b, c]) assert.equal(await node.exited, 0);
  });
  after(() => cluster.cleanup());

  test('a bootstrap lookup: each remote received its find_node, C added A; clocks aligned', async () => {
    const result = await runTesd([
      'trace',
      String(bootstrapLookup),
      '--data-dir',
      a.dataDir,
      '--with',
      `${b.dataDir},${c.dataDir}`,
    ]);
    assert.equal(result.code, 0, result.stderr);
    const out = result.stdout;
    assert.match(out, new RegExp(`^trace of lookup ${bootstrapLookup} \\(bootstrap\\)`));
    for (const [label, name] of [
      ['B', 'b'],
      ['C', 'c'],
    ] as const) {
      assert.match(
        out,
        new RegExp(
          `  ${label}  ${ids[name]!.slice(0, 8)} .* offset [+-]\\d+\\.\\d ms ± \\d+\\.\\d ms from \\d+ RPC pairs?`,
        ),
        `${label}'s clock offset`,
      );
      assert.match(
        out,
        new RegExp(`\\n *[+-][\\d.]+ ms  ${label} +received find_node rid \\d+ from A`),
      );
    }
    // The seed (B) met A in the ping before the lookup; C first hears of A from its find_node.
    assert.match(
      out,
      new RegExp(`\\n *[+-][\\d.]+ ms  C +decided: peer_added A \\(${ids['a']!.slice(0, 8)}\\)`),
      'C added A',
    );
    assert.match(out, / {2}A  +finished \(converged\)/);
  });

  test('a publish: the store RPCs, and each remote storing the pointer, in text, JSON and HTML', async () => {
    const html = join(cluster.dir, 'trace.html');
    const before = [a, b, c].map((n) => digest(n.dataDir));
    const withDirs = `${b.dataDir},${c.dataDir}`;
    const text = await runTesd([
      'trace',
      String(publishLookup),
      '--data-dir',
      a.dataDir,
      '--with',
      withDirs,
      '--html',
      html,
    ]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, / {2}A  +sent store rid \d+ to /);
    assert.match(text.stdout, / {2}[BC]  +received store rid \d+ from A/);
    assert.match(
      text.stdout,
      / {2}[BC] +decided: pointer_stored [0-9a-f]{8} seq 1 from 127\.0\.0\.1:\d+/,
    );
    assert.match(text.stdout, / {2}A  +store rid \d+ to [0-9a-f]{8}: ok in \d+ ms/);
    const page = readFileSync(html, 'utf8');
    assert.match(page, /<svg[^>]* data-entries="\d+"/);
    assert.match(page, /class="request"/);
    assert.doesNotMatch(page, /(src|href)=["']?(https?:)?\/\//, 'nothing fetched');

    const asJson = await runTesd([
      'trace',
      String(publishLookup),
      '--json',
      '--data-dir',
      a.dataDir,
      '--with',
      withDirs,
    ]);
    const trace = JSON.parse(asJson.stdout) as {
      nodes: Array<{
        label: string;
        id: string;
        received: number;
        clock: { method: string } | null;
      }>;
      entries: Array<{ label: string; type: string; elapsedMs: number }>;
    };
    assert.deepEqual(
      trace.nodes.map((n) => n.id),
      [ids['a'], ids['b'], ids['c']],
    );
    for (const node of trace.nodes.slice(1)) {
      assert.ok(node.received >= 1, `${node.label} received RPCs`);
      assert.equal(node.clock?.method, 'bounded');
    }
    // On one clock, each receipt lies between its send and A's answer: the order is causal.
    const elapsed = trace.entries.map((e) => e.elapsedMs);
    assert.deepEqual(
      elapsed,
      [...elapsed].sort((x, y) => x - y),
    );
    assert.deepEqual(
      [a, b, c].map((n) => digest(n.dataDir)),
      before,
      'no data directory written',
    );
  });

  test('a lookup id that is not one, and a --with directory that does not exist, get one line', async () => {
    const missing = await runTesd(['trace', '2', '--data-dir', a.dataDir]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^tesd: no lookup 2 in /);
    const noDir = await runTesd([
      'trace',
      String(publishLookup),
      '--data-dir',
      a.dataDir,
      '--with',
      join(cluster.dir, 'nope'),
    ]);
    assert.equal(noDir.code, 1);
    assert.equal(noDir.stderr.trim().split('\n').length, 1, noDir.stderr);
  });
});
