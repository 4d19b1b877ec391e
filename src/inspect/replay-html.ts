import type { Replay } from './lookup-replay.js';
import { formatTime } from './time-spec.js';

/**
 * `tesd replay --html`: one self-contained page (inline SVG, CSS and JS, nothing fetched)
 * picturing a lookup's convergence. x = time since the lookup started, y = bits each queried
 * peer shares with the target (higher is closer). Each query is a point at its answer time,
 * with a grey bar back to when it was sent; an edge goes from the answering peer to each
 * candidate it was the first to return (to that candidate's own point if it was queried
 * later, else to a hollow dot). Timeouts and errors are red crosses; result peers are ringed.
 */

const WIDTH = 960;
const HEIGHT = 520;
const MARGIN = { left: 60, right: 20, top: 20, bottom: 50 };

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

interface Point {
  x: number;
  y: number;
}

export function renderReplayHtml(replay: Replay): string {
  const endMs = Math.max(
    1,
    replay.recorded?.durationMs ?? 0,
    ...replay.steps.map((s) => s.elapsedMs),
    ...replay.unanswered.map((u) => u.sentElapsedMs),
  );
  const cpls = [
    ...replay.seeds.map((s) => s.cpl),
    ...replay.steps.flatMap((s) => [s.cpl, ...s.returned.map((r) => r.cpl)]),
  ];
  const maxCpl = Math.max(8, ...cpls) + 1;
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const sx = (ms: number): number => MARGIN.left + (ms / endMs) * plotW;
  const sy = (cpl: number): number => MARGIN.top + plotH - (cpl / maxCpl) * plotH;
  const svg: string[] = [];

  // Axes and grid.
  const yStep = Math.max(1, Math.ceil(maxCpl / 10));
  for (let c = 0; c <= maxCpl; c += yStep) {
    svg.push(
      `<line class="grid" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${sy(c)}" y2="${sy(c)}"/>`,
      `<text class="tick" x="${MARGIN.left - 6}" y="${sy(c) + 4}" text-anchor="end">${c}</text>`,
    );
  }
  for (let i = 0; i <= 10; i++) {
    const ms = (endMs * i) / 10;
    svg.push(
      `<text class="tick" x="${sx(ms)}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle">${Math.round(ms)}</text>`,
    );
  }
  svg.push(
    `<text class="label" x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 10}" text-anchor="middle">ms since the lookup started</text>`,
    `<text class="label" transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">prefix bits shared with the target (closer: higher)</text>`,
  );

  // Where each queried peer is drawn: its answer (or failure) time.
  const pointOf = new Map<string, Point>();
  for (const step of replay.steps)
    pointOf.set(step.peer, { x: sx(step.elapsedMs), y: sy(step.cpl) });
  const result = new Set(replay.recorded?.result ?? []);

  const edges: string[] = [];
  const dots: string[] = [];
  for (const step of replay.steps) {
    const from = pointOf.get(step.peer)!;
    if (step.sentElapsedMs !== null)
      svg.push(
        `<line class="flight" x1="${sx(step.sentElapsedMs)}" x2="${from.x}" y1="${from.y}" y2="${from.y}"/>`,
      );
    for (const r of step.returned) {
      if (!r.isNew) continue;
      const to = pointOf.get(r.id) ?? { x: from.x + 6, y: sy(r.cpl) };
      edges.push(
        `<line class="edge" data-from="${step.peer}" data-to="${r.id}" x1="${from.x}" y1="${from.y}" x2="${to.x}" y2="${to.y}"/>`,
      );
      if (!pointOf.has(r.id))
        dots.push(
          `<circle class="unqueried" cx="${to.x}" cy="${to.y}" r="2.5"><title>${r.id} (${r.cpl} bits), returned by ${step.peer.slice(0, 8)}, never queried</title></circle>`,
        );
    }
  }
  svg.push(`<g id="edges">${edges.join('')}</g>`, `<g>${dots.join('')}</g>`);

  const marks: string[] = [];
  replay.steps.forEach((step, i) => {
    const p = pointOf.get(step.peer)!;
    const title = escapeXml(
      `step ${i + 1}: ${step.peer} ${step.addr}\nshares ${step.cpl} bits, hop ${step.hop}\n` +
        (step.outcome === 'ok'
          ? `answered in ${step.latencyMs} ms: ${step.returned.length} peers ` +
            `(${step.returned.filter((r) => r.isNew).length} new), ${step.pointers} pointers`
          : `${step.outcome} after ${step.latencyMs} ms`),
    );
    const attrs = `class="peer" data-peer="${step.peer}" data-step="${i + 1}"`;
    if (step.outcome === 'ok') {
      const ring = result.has(step.peer)
        ? `<circle class="result" cx="${p.x}" cy="${p.y}" r="8"/>`
        : '';
      marks.push(
        `<g ${attrs}>${ring}<circle class="ok" cx="${p.x}" cy="${p.y}" r="4.5"/><title>${title}</title></g>`,
      );
    } else {
      const d = 5;
      marks.push(
        `<g ${attrs}><path class="${step.outcome}" d="M${p.x - d} ${p.y - d}L${p.x + d} ${p.y + d}M${p.x - d} ${p.y + d}L${p.x + d} ${p.y - d}"/><title>${title}</title></g>`,
      );
    }
  });
  for (const u of replay.unanswered)
    marks.push(
      `<g class="peer" data-peer="${u.peer}"><rect class="pending" x="${sx(u.sentElapsedMs) - 3}" y="${sy(u.cpl) - 3}" width="6" height="6"/><title>${u.peer}: sent at +${u.sentElapsedMs} ms, no answer before the end</title></g>`,
    );
  svg.push(`<g>${marks.join('')}</g>`);

  const r = replay.recorded;
  const summary =
    r === null
      ? escapeXml(replay.explanation)
      : escapeXml(
          `${r.durationMs} ms, ${r.rpcs} RPCs, ${r.hops} hops, ${r.result.length} results` +
            `${r.pointers > 0 ? `, ${r.pointers} pointers` : ''}. ${replay.explanation}`,
        );
  const title = `lookup ${replay.id} (${replay.kind}) for ${replay.target.slice(0, 16)}…`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeXml(title)}</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 20px; color: #222; }
h1 { font-size: 18px; margin: 0 0 4px; }
p { margin: 4px 0; }
svg { border: 1px solid #ddd; background: #fff; }
.grid { stroke: #eee; }
.tick { font-size: 11px; fill: #666; }
.label { font-size: 12px; fill: #444; }
.flight { stroke: #ccc; stroke-width: 2; }
.edge { stroke: #4a7bd0; stroke-opacity: 0.35; stroke-width: 1; }
.edge.hot { stroke-opacity: 1; stroke-width: 2; }
.ok { fill: #2a9d4a; }
.result { fill: none; stroke: #e0a000; stroke-width: 2; }
.timeout, .error { stroke: #d22; stroke-width: 2.5; }
.error { stroke: #f08000; }
.unqueried { fill: #fff; stroke: #4a7bd0; }
.pending { fill: #999; }
.peer { cursor: pointer; }
#info { font-family: ui-monospace, monospace; white-space: pre; min-height: 3em; }
.hide-edges #edges { display: none; }
</style>
</head>
<body>
<h1>${escapeXml(title)}</h1>
<p>target ${replay.target}, started ${formatTime(replay.startedAtMs)}</p>
<p>${summary}</p>
<p>green: answered (ringed: in the result) · red ×: timeout · orange ×: error · grey bar: time in flight · blue edges: candidates first learned from that answer · hollow: returned, never queried · grey square: no answer before the end</p>
<label><input type="checkbox" id="toggle-edges" checked> show edges</label>
<div id="chart">
<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}">
${svg.join('\n')}
</svg>
</div>
<p id="info">hover a peer for details</p>
<script>
(function () {
  var chart = document.getElementById('chart');
  var info = document.getElementById('info');
  document.getElementById('toggle-edges').addEventListener('change', function (e) {
    chart.classList.toggle('hide-edges', !e.target.checked);
  });
  var edges = chart.querySelectorAll('.edge');
  chart.querySelectorAll('.peer').forEach(function (g) {
    g.addEventListener('mouseenter', function () {
      var id = g.getAttribute('data-peer');
      var title = g.querySelector('title');
      info.textContent = title ? title.textContent : id;
      edges.forEach(function (e) {
        var hot = e.getAttribute('data-from') === id || e.getAttribute('data-to') === id;
        e.classList.toggle('hot', hot);
      });
    });
  });
  document.body.setAttribute('data-rendered', String(chart.querySelectorAll('.peer').length));
})();
</script>
</body>
</html>
`;
}
