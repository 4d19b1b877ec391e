/**
 * The live page's script (`/ui/app.js`): polls the node's JSON views, draws the routing
 * table as SVG, lists recent lookups (a click opens the replay picture in a frame) and
 * follows the event stream (Server-Sent Events, filtered by the node). Plain browser
 * JavaScript, no build step and no library, so the package ships it as a string.
 */
export const LIVE_PAGE_SCRIPT = String.raw`(function () {
  'use strict';
  var SVG = 'http://www.w3.org/2000/svg';
  var MAX_EVENTS = 300;
  var state = { k: 20, openLookup: null, source: null };

  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var name in attrs || {}) node.setAttribute(name, attrs[name]);
    if (text !== undefined) node.textContent = String(text);
    return node;
  }
  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    for (var name in attrs || {}) node.setAttribute(name, attrs[name]);
    if (text !== undefined) node.textContent = String(text);
    return node;
  }
  function short(hex) { return hex ? hex.slice(0, 8) : '–'; }
  function ago(iso, nowMs) {
    if (!iso) return 'never';
    var s = Math.max(0, (nowMs - Date.parse(iso)) / 1000);
    if (s < 90) return Math.round(s) + ' s ago';
    if (s < 5400) return Math.round(s / 60) + ' min ago';
    return (s / 3600).toFixed(1) + ' h ago';
  }
  function uptime(s) {
    if (s < 120) return s + ' s';
    if (s < 7200) return Math.round(s / 60) + ' min';
    return (s / 3600).toFixed(1) + ' h';
  }
  function getJson(path) {
    return fetch(path, { cache: 'no-store' }).then(function (r) {
      if (!r.ok) throw new Error(path + ': ' + r.status);
      return r.json();
    });
  }

  function card(label, value, bad) {
    var c = el('div', { class: bad ? 'card bad' : 'card', 'data-card': label });
    c.appendChild(el('div', { class: 'value' }, value));
    c.appendChild(el('div', { class: 'label' }, label));
    return c;
  }

  function renderGlance(status, rates) {
    $('node-id').textContent = status.id;
    $('node-line').textContent = status.addr + ' · up ' + uptime(status.uptime_s) + ' · version ' +
      status.version + (status.client ? ' · client' : '') + ' · admin ' + status.admin +
      ' · metrics ' + status.metrics;
    var size = status.network_size;
    var g = $('glance');
    g.textContent = '';
    g.appendChild(card('peers', status.peers));
    g.appendChild(card('pointers', status.pointers));
    g.appendChild(card('published', status.published));
    g.appendChild(card('network size', size ? (size.method === 'counted' ? '' : '~') + size.size : '?'));
    g.appendChild(card('journal', status.journal.paused ? 'PAUSED' : 'writing', status.journal.paused));
    g.appendChild(card('events', status.events.last_seq));
    g.appendChild(card('RPC sent/s', rates.sent_per_s));
    g.appendChild(card('answered/s', rates.received_per_s));
    g.appendChild(card('failed/s', rates.failed_per_s, rates.failed_per_s > 0));
  }

  function ageClass(iso, nowMs) {
    var s = (nowMs - Date.parse(iso)) / 1000;
    return s < 60 ? 'age0' : s < 600 ? 'age1' : s < 3600 ? 'age2' : 'age3';
  }

  function renderRouting(view) {
    state.k = view.k;
    var nowMs = Date.parse(view.now);
    var box = $('routing-svg');
    var rowH = 22, left = 150, slotW = 26, top = 6;
    var buckets = view.buckets.slice().sort(function (a, b) { return a.shared_bits - b.shared_bits; });
    var width = left + view.k * slotW + 260;
    box.setAttribute('width', String(width));
    box.setAttribute('height', String(top * 2 + Math.max(1, buckets.length) * rowH));
    box.textContent = '';
    var total = 0;
    buckets.forEach(function (b, row) {
      var y = top + row * rowH;
      total += b.peers.length;
      var g = svg('g', { class: 'bucket', 'data-bucket': b.bucket });
      g.appendChild(svg('text', { class: 'rowlabel', x: 4, y: y + 15 },
        'bucket ' + b.bucket + ' · ' + b.shared_bits + ' bit' + (b.shared_bits === 1 ? '' : 's')));
      for (var i = 0; i < view.k; i++) {
        var x = left + i * slotW;
        var p = b.peers[i];
        if (!p) { g.appendChild(svg('rect', { class: 'slot', x: x, y: y + 2, width: slotW - 4, height: rowH - 6 })); continue; }
        var cls = 'peer ' + ageClass(p.last_seen_at, nowMs) + (p.failures > 0 ? ' failing' : '');
        var r = svg('rect', { class: cls, x: x, y: y + 2, width: slotW - 4, height: rowH - 6, 'data-id': p.id });
        r.appendChild(svg('title', {}, p.id + '\n' + p.addr + '\nlast seen ' + ago(p.last_seen_at, nowMs) +
          '\nfailures ' + p.failures));
        g.appendChild(r);
      }
      g.appendChild(svg('text', { class: 'rowinfo', x: left + view.k * slotW + 6, y: y + 15 },
        b.peers.length + '/' + view.k + (b.cached ? ' · ' + b.cached + ' cached' : '') +
        ' · active ' + ago(b.last_activity_at, nowMs)));
      box.appendChild(g);
    });
    if (buckets.length === 0)
      box.appendChild(svg('text', { class: 'rowlabel', x: 4, y: 20 }, 'no peers yet'));
    $('routing-summary').textContent = total + ' peers in ' + buckets.length + ' buckets';
  }

  function renderLookups(lookups) {
    var body = $('lookups-table').querySelector('tbody');
    body.textContent = '';
    lookups.forEach(function (l) {
      var tr = el('tr', { 'data-lookup': l.id });
      if (state.openLookup === l.id) tr.className = 'open';
      [l.id, l.kind, short(l.target), new Date(l.started_at_ms).toISOString().slice(11, 23),
        l.duration_ms === null ? '–' : l.duration_ms + ' ms', l.hops === null ? '–' : l.hops,
        l.rpcs === null ? '–' : l.rpcs, l.results === null ? '–' : l.results, l.outcome
      ].forEach(function (v) { tr.appendChild(el('td', {}, v)); });
      tr.addEventListener('click', function () { openReplay(l); });
      body.appendChild(tr);
    });
  }

  function openReplay(lookup) {
    state.openLookup = lookup.id;
    $('replay-box').hidden = false;
    $('replay-title').textContent = 'lookup ' + lookup.id + ' (' + lookup.kind + ') for ' + lookup.target;
    $('replay').src = '/ui/lookups/' + lookup.id + '.html';
    var rows = $('lookups-table').querySelectorAll('tbody tr');
    rows.forEach(function (r) { r.classList.toggle('open', r.getAttribute('data-lookup') === String(lookup.id)); });
  }

  function refresh() {
    return Promise.all([getJson('/status'), getJson('/ui/rates.json'), getJson('/ui/routing.json')])
      .then(function (r) {
        renderGlance(r[0], r[1]);
        renderRouting(r[2]);
        document.body.setAttribute('data-ready', '1');
      })
      .catch(function (e) { $('node-line').textContent = 'cannot reach the node: ' + e.message; });
  }
  function refreshLookups() {
    return getJson('/ui/lookups.json?limit=25').then(function (r) { renderLookups(r.lookups); })
      .catch(function () { /* the next tick retries */ });
  }

  function addEvent(e) {
    var list = $('event-list');
    var li = el('li', { 'data-type': e.type, 'data-seq': e.seq, class: 'fresh' });
    li.appendChild(el('span', { class: 'eseq' }, e.seq + ' ' + new Date(e.at).toISOString().slice(11, 23) + ' '));
    li.appendChild(el('span', { class: 'etype' }, e.type));
    var refs = (e.peer ? ' peer ' + short(e.peer) : '') + (e.key ? ' key ' + short(e.key) : '') +
      (e.lookup !== null ? ' lookup ' + e.lookup : '');
    li.appendChild(el('span', {}, refs + ' ' + JSON.stringify(e.data)));
    li.title = JSON.stringify(e, null, 1);
    list.insertBefore(li, list.firstChild);
    setTimeout(function () { li.classList.remove('fresh'); }, 1500);
    while (list.children.length > MAX_EVENTS) list.removeChild(list.lastChild);
    if (e.type === 'lookup_finished') refreshLookups();
  }

  function connect() {
    if (state.source) state.source.close();
    var params = new URLSearchParams();
    ['type', 'peer', 'key'].forEach(function (name) {
      var v = $('filter-' + name).value.trim();
      if (v) params.set(name, v);
    });
    $('event-list').textContent = '';
    var source = new EventSource('/ui/events' + (params.toString() ? '?' + params : ''));
    state.source = source;
    source.onopen = function () { $('stream-state').textContent = 'live' + (params.toString() ? ' (' + params + ')' : ''); };
    source.onerror = function () { $('stream-state').textContent = 'reconnecting…'; };
    source.addEventListener('types', function (m) {
      var list = $('event-types');
      list.textContent = '';
      JSON.parse(m.data).forEach(function (t) { list.appendChild(el('option', { value: t })); });
    });
    source.onmessage = function (m) { addEvent(JSON.parse(m.data)); };
  }

  document.addEventListener('DOMContentLoaded', function () {
    $('filters').addEventListener('submit', function (e) { e.preventDefault(); connect(); });
    refresh();
    refreshLookups();
    connect();
    setInterval(refresh, 2000);
    setInterval(refreshLookups, 10000);
  });
})();
`;
