import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SqliteEventStore } from '../../src/events/sqlite-event-store.js';
import { withTimeout } from '../support/requirement.js';
import { getJson, REPO, TESD, waitFor, type Status } from './tesd-process.js';

/** docs/cli.md `tesd devnet`: starts N nodes that join node 0; Ctrl+C stops them all. */

const NODES = 3;

async function portFree(port: number, kind: 'udp' | 'tcp'): Promise<boolean> {
  return new Promise((resolve) => {
    if (kind === 'udp') {
      const socket = createSocket('udp4');
      socket.once('error', () => resolve(false));
      socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
    } else {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    }
  });
}

/** A base port whose UDP, admin and metrics ports (docs/cli.md's layout) are all free. */
async function freeBasePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 20_000);
    const offset = base - 4433;
    let free = true;
    for (let i = 0; i < NODES && free; i++)
      free =
        (await portFree(base + i, 'udp')) &&
        (await portFree(4480 + offset + i, 'tcp')) &&
        (await portFree(9464 + offset + i, 'tcp'));
    if (free) return base;
  }
  throw new Error('no free devnet ports in 50 attempts');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test(`tesd devnet starts ${NODES} nodes that join node 0, and SIGINT stops them all`, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tesd-devnet-'));
  const base = await freeBasePort();
  const args = ['devnet', '--nodes', String(NODES), '--base-port', String(base), '--dir', dir];
  const devnet = spawn(process.execPath, ['--import', 'tsx', TESD, ...args], { cwd: REPO });
  let output = '';
  devnet.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  devnet.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((done) => devnet.once('exit', (code) => done(code)));
  const pids: number[] = [];
  t.after(async () => {
    if (devnet.exitCode === null) devnet.kill('SIGKILL');
    await exited;
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  await waitFor(
    'the devnet table',
    () => Promise.resolve(output.includes('Ctrl+C stops them all')),
    60_000,
  );
  assert.match(output, new RegExp(`devnet: ${NODES} nodes on 127\\.0\\.0\\.1, data under ${dir}`));
  const offset = base - 4433;
  for (let i = 0; i < NODES; i++) {
    const row = new RegExp(
      `^  ${i} +127\\.0\\.0\\.1:${base + i} +127\\.0\\.0\\.1:${4480 + offset + i} +` +
        `http://127\\.0\\.0\\.1:${9464 + offset + i}/metrics +${join(dir, `node-${i}`)} +(\\d+)$`,
      'm',
    );
    const match = row.exec(output);
    assert.ok(match, `row of node ${i} in:\n${output}`);
    pids.push(Number(match[1]));
  }
  const admin = (i: number): string => `127.0.0.1:${4480 + offset + i}`;
  for (let i = 1; i < NODES; i++) {
    const joined = await waitFor(`node ${i} to join`, async () => {
      const status = await getJson<Status>(admin(i), '/status');
      return status.bootstrap === null ? null : status;
    });
    assert.equal(joined.bootstrap?.peers, 1, `node ${i} bootstraps from node 0`);
    assert.equal(joined.bootstrap?.answered, 1);
  }
  await waitFor(
    'node 0 to know every other node',
    async () => (await getJson<Status>(admin(0), '/status')).peers === NODES - 1,
  );

  devnet.kill('SIGINT');
  const code = await withTimeout(exited, 20_000, 'the devnet to stop after SIGINT');
  assert.equal(code, 0, output);
  assert.match(output, /devnet: stopping all nodes\n/);
  assert.deepEqual(
    pids.filter((pid) => alive(pid)),
    [],
    'every node process is gone',
  );
  for (let i = 0; i < NODES; i++) {
    // The lock is released and the last word of each log is node_stopped.
    const store = SqliteEventStore.open(join(dir, `node-${i}`));
    const last = [...store.read({ afterSeq: store.lastSeq - 1 })][0];
    store.close();
    assert.equal(last?.type, 'node_stopped', `node ${i} stopped cleanly`);
  }
});
