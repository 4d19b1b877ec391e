import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Cluster, REPO, runTesd } from './tesd-process.js';

/** SPEC §6: errors a user can cause get one line on stderr and a non-zero exit. */

function assertOneLine(result: { code: number | null; stderr: string }, pattern: RegExp): void {
  assert.notEqual(result.code, 0);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${result.stderr}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
}

describe('tesd run refuses bad configurations in one line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tesd-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts the example config with --check, and reports each mistake in one line', async () => {
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, '');
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ bind: '127.0.0.1:4433', colour: 'red' }));
    const [example, flag, address, seed, key, dataDir] = await Promise.all([
      runTesd([
        'run',
        '--config',
        join(REPO, 'ops/tesd.config.example.json'),
        '--data-dir',
        join(dir, 'd'),
        '--check',
      ]),
      runTesd(['run', '--check', '--frobnicate']),
      runTesd(['run', '--check', '--bind', 'localhost:4433']),
      runTesd(['run', '--check', '--bootstrap', 'xyz@127.0.0.1:1']),
      runTesd(['run', '--check', '--config', join(dir, 'bad.json')]),
      runTesd(['run', '--check', '--data-dir', join(file, 'sub')]),
    ]);
    assert.equal(example.code, 0, example.stderr);
    assert.match(example.stdout, /^configuration OK/);
    assertOneLine(flag, /^tesd: unknown option '--frobnicate'/);
    assertOneLine(address, /^tesd: --bind "localhost:4433" is not an IP address and port/);
    assertOneLine(seed, /^tesd: --bootstrap "xyz@127.0.0.1:1": the ID must be 40 hex digits/);
    assertOneLine(key, /^tesd: --config .*bad\.json: unknown key\(s\) "colour"/);
    assertOneLine(dataDir, /^tesd: cannot create --data-dir .*: ENOTDIR/);
  });
});

describe('tesd run on a broken event log', () => {
  const cluster = new Cluster();
  after(() => cluster.cleanup());

  it('stops with one line, and starts with --repair saying what it dropped', async () => {
    const node = await cluster.node('broken');
    mkdirSync(node.dataDir, { recursive: true });
    writeFileSync(
      join(node.dataDir, 'events.db'),
      'this is not an SQLite database, it is a log gone bad',
    );
    const args = [
      'run',
      '--data-dir',
      node.dataDir,
      '--bind',
      node.bind,
      '--admin',
      node.admin,
      '--metrics',
      node.metrics,
    ];
    const refused = await runTesd(args);
    assertOneLine(refused, /^tesd: .*events\.db is damaged .*--repair/);

    const status = await cluster.start(node, [], ['--repair']);
    assert.equal(status.restored.peers, 0);
    assert.match(
      node.output,
      /--repair: .*kept 0 events, dropped .*kept as .*events\.db\.broken-\d+/,
    );
  });
});
