import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * A real firewall EPERM (issue 15 item 5): in a network namespace of the test's own, an
 * iptables OUTPUT rule drops every datagram to 127.0.0.3, which makes sendto(2) fail with EPERM.
 * Needs root and `ip netns`; skips loudly without them, and fails instead under CI=true.
 */

const FIXTURE = fileURLToPath(new URL('./fixtures/eperm-nodes.ts', import.meta.url));
const namespace = `tesd-eperm-${process.pid}`;

function missing(): string | null {
  if (process.getuid?.() !== 0) return 'not root';
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
    execFileSync('iptables', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'no `ip netns` or `iptables`';
  }
  return null;
}

function inNamespace(command: string, args: string[]): void {
  execFileSync('ip', ['netns', 'exec', namespace, command, ...args], { stdio: 'pipe' });
}

function runFixture(
  timeoutMs: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      'ip',
      ['netns', 'exec', namespace, process.execPath, '--import', 'tsx', FIXTURE],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('QuicTransport behind a firewall that refuses sends (real EPERM)', () => {
  const reason = missing();
  if (reason !== null) {
    if (process.env['CI'] === 'true') {
      it('needs root and ip netns under CI', () => assert.fail(`cannot run: ${reason}`));
      return;
    }
    console.warn(`SKIPPED quic-send-eperm: ${reason}`);
    it.skip(`skipped: ${reason}`, () => {});
    return;
  }

  it('fails only the RPCs to the refused peer and keeps serving everyone else', async () => {
    execFileSync('ip', ['netns', 'add', namespace]);
    try {
      inNamespace('ip', ['link', 'set', 'lo', 'up']);
      inNamespace('iptables', ['-A', 'OUTPUT', '-d', '127.0.0.3', '-j', 'DROP']);

      const run = await runFixture(60_000);

      assert.equal(run.code, 0, `fixture exited with ${run.code}: ${run.stderr}`);
      const result = JSON.parse(run.stdout.trim().split('\n').pop()!) as Record<string, string>;
      assert.match(result['aToC']!, /^unreachable: .*(EPERM|not permitted)/);
      assert.notEqual(result['cToA'], 'ok');
      assert.equal(result['bToA'], 'ok');
      assert.equal(result['aToB'], 'ok');
      assert.notEqual(result['aToCAgain'], 'ok');
      assert.equal(result['bToAAfter'], 'ok');
    } finally {
      execFileSync('ip', ['netns', 'del', namespace]);
    }
  });
});
