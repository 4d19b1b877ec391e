import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { listLookups } from '../../src/inspect/lookup-list.js';
import { loadLookup } from '../../src/inspect/lookup-record.js';
import { replayLookup } from '../../src/inspect/lookup-replay.js';
import { checkReplay } from '../../src/inspect/replay-check.js';
import { renderReplayHtml } from '../../src/inspect/replay-html.js';
import { withLog } from '../../src/inspect/open-log.js';
import { seeded } from '../support/seed.js';
import { requirement } from '../support/requirement.js';
import { artifactPath, chromiumMissing, withBrowser } from './chromium.js';
import { runCli } from './cli-harness.js';
import { recordLog, type RecordedLog } from './recorded-log.js';

describe('tesd lookups and replay on a recorded log', () => {
  let log: RecordedLog;
  const cleanups: Array<() => void> = [];
  before(() => seeded(11, (seed) => (log = recordLog({ after: (fn) => cleanups.push(fn) }, seed))));
  after(() => cleanups.forEach((fn) => fn()));

  test('given a log with lookups, lookups lists each one newest first with its outcome', () => {
    const listed = withLog(log.dataDir, (l) => listLookups(l.db));
    for (const live of log.lookups) {
      const row = listed.find((s) => s.id === live.id);
      assert.ok(row, `lookup ${live.id} listed`);
      assert.equal(row.outcome, live.reason);
      assert.equal(row.hops, live.hops);
      assert.equal(row.rpcs, live.rpcs);
    }
    assert.deepEqual(
      listed.map((s) => s.id),
      listed.map((s) => s.id).sort((a, b) => b - a),
    );
    const values = withLog(log.dataDir, (l) => listLookups(l.db, { kind: 'value' }));
    assert.ok(values.length >= 1 && values.every((s) => s.kind === 'value'));
  });

  test('replay rebuilds the same result, hops and RPC count as the live lookup', () => {
    assert.ok(log.lookups.length >= 4);
    for (const live of log.lookups) {
      const replay = withLog(log.dataDir, (l) => replayLookup(loadLookup(l.store, live.id)));
      const liveIds = live.closest.map((p) => p.identity.idHex);
      assert.deepEqual(replay.reconstructed.result, liveIds, `lookup ${live.id} result`);
      assert.equal(replay.reconstructed.hops, live.hops, `lookup ${live.id} hops`);
      assert.equal(replay.reconstructed.rpcs, live.rpcs, `lookup ${live.id} rpcs`);
      assert.deepEqual(replay.recorded?.result, liveIds);
      assert.equal(replay.recorded?.reason, live.reason);
      const settled = replay.steps.filter((s) => s.outcome !== 'slow');
      assert.equal(settled.length + replay.unanswered.length, live.rpcs);
    }
    const timeouts = log.lookups.flatMap((live) =>
      withLog(log.dataDir, (l) =>
        replayLookup(loadLookup(l.store, live.id)).steps.filter((s) => s.outcome === 'timeout'),
      ),
    );
    assert.ok(timeouts.length > 0, 'the isolated nodes show up as timeouts');
  });

  test('replay --check matches on the unchanged engine for every recorded lookup', () => {
    for (const live of log.lookups) {
      const report = withLog(log.dataDir, (l) => checkReplay(loadLookup(l.store, live.id)));
      assert.equal(report.divergence, null, `lookup ${live.id}: ${JSON.stringify(report)}`);
      assert.ok(report.matches);
    }
  });

  test('replay --check reports where a changed alpha or k decides differently', () => {
    const id = log.lookups[0]!.id;
    const record = withLog(log.dataDir, (l) => loadLookup(l.store, id));
    const alpha = checkReplay(record, { alpha: 2 });
    assert.equal(alpha.matches, false);
    assert.equal(alpha.divergence?.step, 0, 'two queries instead of three at the start');
    const k = checkReplay(record, { k: 4 });
    assert.equal(k.matches, false);
    assert.ok(k.divergence !== null && k.divergence.step > 0);
  });

  test('the CLI prints the replay and the check, and exits 1 on a divergence', async () => {
    const id = String(log.lookups[0]!.id);
    const ok = await runCli(['replay', id, '--check', '--data-dir', log.dataDir]);
    assert.equal(ok.exitCode, 0, ok.err);
    assert.match(ok.out, /step 1 /);
    assert.match(ok.out, /reproduce the recorded result, hops and RPC count/);
    assert.match(ok.out, /MATCHES/);
    const diverged = await runCli([
      'replay',
      id,
      '--check',
      '--alpha',
      '2',
      '--data-dir',
      log.dataDir,
    ]);
    assert.equal(diverged.exitCode, 1);
    assert.match(diverged.out, /DIVERGES at the start/);
    const missing = await runCli(['replay', '3', '--data-dir', log.dataDir]);
    assert.equal(missing.exitCode, 1);
    assert.match(missing.err, /^tesd: no lookup 3/);
  });

  test('replay --html writes a self-contained page that loads in headless Chromium', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'tesd-html-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const live = log.lookups.find((l) => l.rpcs > l.closest.length) ?? log.lookups[0]!;
    const replay = withLog(log.dataDir, (l) => replayLookup(loadLookup(l.store, live.id)));
    const html = renderReplayHtml(replay);
    assert.doesNotMatch(html, /(src|href)=["']?(https?:)?\/\//, 'nothing fetched from a network');
    assert.match(html, /<svg/);
    const file = join(dir, 'lookup.html');
    writeFileSync(file, html);
    if (!requirement(t, 'chromium', chromiumMissing())) return;
    const expectedPoints = replay.steps.length + replay.unanswered.length;
    await withBrowser(async (browser) => {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(pathToFileURL(file).href);
      await page.waitForSelector(`body[data-rendered="${expectedPoints}"]`, { timeout: 15_000 });
      await page.screenshot({ path: artifactPath('replay.png') });
      assert.deepEqual(errors, [], 'no script errors');
    });
  });
});
