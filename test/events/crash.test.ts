import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { seededRandom } from '../../src/core/random.js';
import { SqliteEventStore } from '../../src/events/sqlite-event-store.js';
import { verifyLog } from '../../src/events/verify-log.js';
import { CRASH_BATCH, crashEvents, expectedCrashRow } from './crash-events.js';
import { nodePk, tempDataDir } from './store-fixtures.js';

const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
const KILLS = 50;
const ROUND_TIMEOUT_MS = 30_000;

/**
 * Starts the child on `dataDir` (whose log ends at `lastSeq`) and SIGKILLs it `delayMs` after
 * it has reported its first commit of this round; returns the last seq it reported committed.
 */
function runAndKill(dataDir: string, seed: number, lastSeq: number, delayMs: number) {
  return new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, String(seed)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`round seed ${seed}: no commit within ${ROUND_TIMEOUT_MS} ms`));
    }, ROUND_TIMEOUT_MS);
    let output = '';
    let armed = false;
    const committed = (): number =>
      [...output.matchAll(/committed (\d+)/g)].map((m) => Number(m[1])).at(-1) ?? 0;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      output += chunk;
      if (!armed && committed() > lastSeq) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      clearTimeout(guard);
      if (signal !== 'SIGKILL') return reject(new Error(`child exited on its own: ${output}`));
      resolve(committed());
    });
  });
}

test(`SIGKILL under load ${KILLS} times: exactly the committed rows survive, chain intact, reopen works`, async (t) => {
  const dir = tempDataDir(t);
  const random = seededRandom(Number(process.env.TESD_SEED ?? 42));
  let lastSeq = 0;
  for (let round = 0; round < KILLS; round++) {
    const committed = await runAndKill(dir, round, lastSeq, random.int(41));
    assert.ok(committed > lastSeq, `round ${round} committed rows after seq ${lastSeq}`);

    const store = SqliteEventStore.open(dir); // verifies the tail from the latest checkpoint
    const survived = store.lastSeq;
    // Every reported commit survived; beyond it, at most the one commit the kill cut short
    // between committing and reporting (one batch).
    assert.ok(survived >= committed, `round ${round}: seq ${committed} was committed, lost`);
    assert.ok(survived - committed <= CRASH_BATCH, `round ${round}: ${survived} > ${committed}`);
    // The round's rows are exactly what the child appended, in order, nothing torn or extra.
    const events = crashEvents(round);
    let n = 0;
    for (const row of store.read({ afterSeq: lastSeq })) {
      const { seq: _seq, hash: _hash, ...event } = row;
      assert.deepEqual(event, expectedCrashRow(events, n), `round ${round}, seq ${row.seq}`);
      n++;
    }
    assert.equal(n, survived - lastSeq, `round ${round}: rows ${lastSeq + 1}..${survived}`);
    store.close();
    lastSeq = survived;

    if (round % 10 === 9 || round === KILLS - 1) {
      const report = verifyLog(dir, { pk: nodePk });
      assert.ok(report.ok, `round ${round}: ${report.problems.join('; ')}`);
      assert.equal(report.checkedRows, lastSeq);
      t.diagnostic(`round ${round}: ${report.checkedRows} rows verified`);
    }
  }
});
