import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { Cluster, getJson, waitFor, type Status, type TesdNode } from '../e2e/tesd-process.js';
import { requirement } from '../support/requirement.js';
import { artifactPath, chromiumMissing, withBrowser } from '../inspect/chromium.js';

interface FindAnswer {
  lookup: { id: number };
}

const UI_TIMEOUT_MS = 20_000;

/** The highest event seq the page's live list shows. */
async function shownSeq(page: Page): Promise<number> {
  return Math.max(0, ...(await attributes(page, '#event-list li', 'data-seq')).map(Number));
}

/** One attribute of every element the selector matches, read through locators. */
async function attributes(page: Page, selector: string, name: string): Promise<string[]> {
  const items = page.locator(selector);
  const out: string[] = [];
  for (let i = 0; i < (await items.count()); i++)
    out.push((await items.nth(i).getAttribute(name)) ?? '');
  return out;
}

describe('the live page of a devnet node, in headless Chromium', () => {
  const cluster = new Cluster();
  let a: TesdNode;
  const ids: string[] = [];

  before(async () => {
    const [b, c] = [await cluster.node('b'), await cluster.node('c')];
    a = await cluster.node('a');
    await cluster.start(a);
    ids.push((await cluster.start(b, [a])).id, (await cluster.start(c, [a])).id);
    await waitFor(
      'A to know B and C',
      async () => (await getJson<Status>(a.admin, '/status')).peers >= 2,
    );
  });
  after(() => cluster.cleanup());

  test('renders the routing table, shows a new event live, and opens a lookup’s picture', async (t) => {
    if (!requirement(t, 'chromium', chromiumMissing())) return;
    await withBrowser(async (browser) => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      page.setDefaultTimeout(UI_TIMEOUT_MS);

      // The node at a glance and its routing table, drawn from /status and /ui/routing.json.
      await page.goto(`http://${a.admin}/ui`);
      await page.waitForSelector('body[data-ready="1"]');
      // Locators, not string predicates: the page's CSP (no 'unsafe-eval') refuses eval'd checks.
      await page.locator('#routing-svg rect.peer').nth(1).waitFor();
      const drawn = await attributes(page, '#routing-svg rect.peer', 'data-id');
      assert.deepEqual([...drawn].sort(), [...ids].sort(), 'one box per peer of A');
      assert.equal(
        await page.textContent('[data-card="peers"] .value'),
        '2',
        'the glance shows 2 peers',
      );
      assert.match((await page.textContent('#node-id')) ?? '', /^[0-9a-f]{40}$/);
      await page.waitForSelector('[data-card="network size"] .value:text-is("3")');
      await page.locator('#stream-state', { hasText: /^live/ }).waitFor();
      await page.screenshot({ path: artifactPath('live-page.png'), fullPage: true });

      // A find through the admin API: its events arrive over the stream while the page is open.
      const before = await shownSeq(page);
      const key = randomBytes(20).toString('hex');
      const found = await getJson<FindAnswer>(a.admin, `/find/${key}`);
      // A lookup's id is the seq of its lookup_started, so the new one has a seq above `before`.
      assert.ok(found.lookup.id > before, `lookup ${found.lookup.id} after seq ${before}`);
      await page.waitForSelector(
        `#event-list li[data-type="lookup_started"][data-seq="${found.lookup.id}"]`,
      );

      // Filtered by type: the stream reconnects and shows only that type.
      await page.fill('#filter-type', 'lookup_finished');
      await page.click('#filters button');
      await page.locator('#stream-state', { hasText: 'type=' }).waitFor();
      await page.waitForSelector('#event-list li');
      const types = await attributes(page, '#event-list li', 'data-type');
      assert.ok(
        types.length > 0 && types.every((type) => type === 'lookup_finished'),
        types.join(','),
      );

      // The lookup is listed; a click opens its replay picture (the replay --html page).
      const row = `#lookups-table tr[data-lookup="${found.lookup.id}"]`;
      await page.waitForSelector(row);
      await page.click(row);
      const replay = page.frameLocator('#replay');
      await replay.locator('body[data-rendered]').waitFor();
      assert.match(
        (await replay.locator('h1').textContent()) ?? '',
        new RegExp(`lookup ${found.lookup.id} \\(value\\)`),
      );
      assert.ok(
        (await replay.locator('svg .peer').count()) >= 1,
        'the picture has the queried peers',
      );
      await page.locator('#replay-box').scrollIntoViewIfNeeded();
      await page.screenshot({ path: artifactPath('live-page-replay.png'), fullPage: true });
      assert.deepEqual(errors, [], 'no script errors on the page');
    });
  });

  test('the page and its views are read-only: writes are refused, reads need no token', async () => {
    const page = await fetch(`http://${a.admin}/ui`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.match(await page.text(), /<script src="\/ui\/app.js"/);
    const post = await fetch(`http://${a.admin}/ui/events`, { method: 'POST' });
    assert.equal(post.status, 405);
    const badType = await fetch(`http://${a.admin}/ui/events?type=nope`);
    assert.equal(badType.status, 400);
    assert.match(((await badType.json()) as { error: string }).error, /unknown event type "nope"/);
    const noLookup = await fetch(`http://${a.admin}/ui/lookups/999999.html`);
    assert.equal(noLookup.status, 404);
  });
});
