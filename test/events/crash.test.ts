import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { seededRandom } from '../../src/core/random.js';
import { SqliteEventStore } from '../../src/events/sqlite-event-store.js';
import { verifyLog } from '../../src/events/verify-log.js';
import { nodePk, tempDataDir } from './store-fixtures.js';

const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
const KILLS = 50;

/** Starts the child, SIGKILLs it `delayMs` after it is ready; returns the last seq it committed. */
function runAndKill(dataDir: string, seed: number, delayMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, String(seed)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    let armed = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      output += chunk;
      if (!armed && output.includes('ready\n')) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`child exited on its own: ${output}`));
      const committed = [...output.matchAll(/committed (\d+)/g)].map((m) => Number(m[1]));
      resolve(committed.at(-1) ?? 0);
    });
  });
}

test(`SIGKILL under load ${KILLS} times: chain intact, no committed event lost, reopen works`, async (t) => {
  const dir = tempDataDir(t);
  const random = seededRandom(Number(process.env.TESD_SEED ?? 42));
  let lastCommitted = 0;
  for (let round = 0; round < KILLS; round++) {
    const committed = await runAndKill(dir, round, 20 + random.int(61));
    lastCommitted = Math.max(lastCommitted, committed);
    const store = SqliteEventStore.open(dir); // verifies the tail from the latest checkpoint
    assert.ok(store.lastSeq >= lastCommitted, `round ${round}: seq ${lastCommitted} was lost`);
    if (lastCommitted > 0)
      assert.equal(
        [...store.read({ afterSeq: lastCommitted - 1, limit: 1 })][0]?.seq,
        lastCommitted,
      );
    lastCommitted = store.lastSeq;
    store.close();
    if (round % 10 === 9 || round === KILLS - 1) {
      const report = verifyLog(dir, { pk: nodePk });
      assert.ok(report.ok, `round ${round}: ${report.problems.join('; ')}`);
      t.diagnostic(`round ${round}: ${report.checkedRows} rows verified`);
    }
  }
});
