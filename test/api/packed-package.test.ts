import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { CONSUMER_TS, CONSUMER_TSCONFIG } from './consumer-source.js';
import { installTarball, pack, REPO } from './packed-install.js';

/**
 * The library as an application gets it: the packed tarball installed in a fresh project
 * outside this repository, used only through `import ... from 'tesseras-node'`, compiled
 * against the shipped .d.ts and run over real QUIC on 127.0.0.1. The examples run there too.
 */

const run = promisify(execFile);
const RUN_TIMEOUT_MS = 60_000;
const TSC = join(REPO, 'node_modules/typescript/bin/tsc');

async function node(cwd: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run(process.execPath, args, { cwd, timeout: RUN_TIMEOUT_MS });
    return stdout;
  } catch (error) {
    const { stdout, stderr, signal } = error as {
      stdout?: string;
      stderr?: string;
      signal?: string;
    };
    assert.fail(
      `node ${args.join(' ')} failed${signal ? ` (${signal})` : ''}:\n${stdout}\n${stderr}`,
    );
  }
}

describe('the packed tesseras-node in a fresh project', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tesseras-pack-'));
  const project = join(dir, 'consumer');
  let files: string[] = [];
  after(() => rmSync(dir, { recursive: true, force: true }));

  before(() => {
    const packed = pack(dir);
    files = packed.files;
    mkdirSync(project);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    installTarball(project, packed.tarball, ['@types/node']);
  });

  it('ships the built entry point, its types and the migrations, and no sources or tests', () => {
    for (const file of ['dist/src/api/index.js', 'dist/src/api/index.d.ts', 'dist/src/cli/tesd.js'])
      assert.ok(files.includes(file), `${file} missing from the tarball`);
    assert.ok(
      files.some((f) => /^migrations\/\d+.*\.sql$/.test(f)),
      'no migrations in the tarball',
    );
    const stray = files.filter(
      (f) => /^(src|test|bench|examples)\//.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts')),
    );
    assert.deepEqual(stray, []);
  });

  it('installs without the development tools: its install scripts need none of them', async () => {
    const installed = join(project, 'node_modules/tesseras-node');
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
      scripts?: Record<string, string>;
    };
    // What npm runs in a dependency at install time, with only the system's tools on the PATH.
    for (const hook of ['preinstall', 'install', 'postinstall']) {
      const script = manifest.scripts?.[hook];
      if (script === undefined) continue;
      await run('sh', ['-c', script], { cwd: installed, env: { PATH: '/usr/bin:/bin' } });
    }
  });

  it('type-checks a strict TypeScript program against the shipped declarations', async () => {
    writeFileSync(join(project, 'main.ts'), CONSUMER_TS);
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(CONSUMER_TSCONFIG));
    try {
      await run(process.execPath, [TSC, '-p', project], { cwd: project, timeout: RUN_TIMEOUT_MS });
    } catch (error) {
      assert.fail(`tsc failed:\n${(error as { stdout?: string }).stdout}`);
    }
  });

  it('runs three nodes over QUIC through the public API only', async () => {
    const out = await node(project, ['out/main.js']);
    const result = JSON.parse(out.trim().split('\n').at(-1)!) as { ok: boolean; checks: string[] };
    assert.equal(result.ok, true);
    assert.equal(result.checks.length, 12, result.checks.join('\n'));
  });

  it('runs the examples against the installed package', async () => {
    cpSync(join(REPO, 'examples'), join(project, 'examples'), { recursive: true });
    const three = await node(project, ['examples/three-nodes.mjs']);
    assert.match(three, /^found from [0-9a-f]{8}: held by 127\.0\.0\.1:\d+/m);
    const watch = await node(project, ['examples/watch-lookups.mjs']);
    assert.match(watch, /^lookup \d+ \(node\) for [0-9a-f]{8}: \d+ seeds$/m);
    assert.match(watch, /^ {2}lookup \d+ hop 1 [0-9a-f]{8} ok in \d+ ms/m);
    assert.match(watch, /^find: 1 pointer\(s\)$/m);
  });
});
