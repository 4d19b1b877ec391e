/**
 * The live page's document (served at `/ui` by the admin listener). Styles and script are
 * separate assets (`/ui/app.css`, `/ui/app.js`) so the page runs under a strict
 * Content-Security-Policy; nothing is fetched from anywhere but the node itself.
 */
export const LIVE_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tesd live</title>
<link rel="stylesheet" href="/ui/app.css">
<script src="/ui/app.js" defer></script>
</head>
<body>
<header>
  <h1>tesd <span id="node-id" class="mono">…</span></h1>
  <p id="node-line" class="muted">loading</p>
</header>
<main>
<section id="glance" aria-label="the node at a glance"></section>
<section>
  <h2>Routing table <span id="routing-summary" class="muted"></span></h2>
  <p class="muted">one row per bucket, by prefix bits shared with this node (deeper rows are closer); a box per peer, k boxes make a full bucket. Colour: last seen under 1 min, 10 min, 1 h, older; red edge: failed RPCs. Hover a box for the peer.</p>
  <div id="routing"><svg id="routing-svg" xmlns="http://www.w3.org/2000/svg" width="960" height="40"></svg></div>
</section>
<section>
  <h2>Recent lookups</h2>
  <p class="muted">click a lookup for its replay picture (the same as <code>tesd replay --html</code>)</p>
  <table id="lookups-table"><thead><tr><th>id</th><th>kind</th><th>target</th><th>started</th><th>duration</th><th>hops</th><th>RPCs</th><th>results</th><th>outcome</th></tr></thead><tbody></tbody></table>
  <div id="replay-box" hidden>
    <h3 id="replay-title"></h3>
    <iframe id="replay" title="lookup replay"></iframe>
  </div>
</section>
<section>
  <h2>Live events <span id="stream-state" class="muted">connecting</span></h2>
  <form id="filters">
    <label>type <input id="filter-type" name="type" list="event-types" placeholder="any (comma-separated)"></label>
    <label>peer <input id="filter-peer" name="peer" placeholder="hex prefix"></label>
    <label>key <input id="filter-key" name="key" placeholder="hex prefix"></label>
    <button type="submit">filter</button>
    <datalist id="event-types"></datalist>
  </form>
  <ol id="event-list" class="mono"></ol>
</section>
</main>
</body>
</html>
`;
