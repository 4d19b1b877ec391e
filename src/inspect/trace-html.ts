import { shortId } from '../core/node-id.js';
import { formatTime } from './time-spec.js';
import type { Trace, TraceEntry } from './trace.js';
import { CLOCK_EXPLANATION, formatElapsed, formatOffset } from './trace-text.js';

/**
 * `tesd trace --html`: one self-contained page (inline SVG and CSS, nothing fetched). One lane
 * per node, x = time on A's clock since the lookup started; arrows go from A's request to its
 * receipt on the remote and back to A's answer; decisions are marks on the remote's lane.
 */

const WIDTH = 1000;
const LANE_H = 56;
const LEFT = 150;
const RIGHT = 30;
const TOP = 30;

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const COLOR: Record<string, string> = {
  lookup_started: '#555',
  rpc_sent: '#4a7bd0',
  rpc_received: '#4a7bd0',
  decided: '#e0a000',
  lookup_step: '#2a9d4a',
  rpc_completed: '#2a9d4a',
  lookup_finished: '#222',
};

export function renderTraceHtml(trace: Trace): string {
  const lanes = new Map(trace.nodes.map((n, i) => [n.label, i]));
  const minMs = Math.min(0, ...trace.entries.map((e) => e.elapsedMs));
  const maxMs = Math.max(1, ...trace.entries.map((e) => e.elapsedMs));
  const height = TOP + trace.nodes.length * LANE_H + 40;
  const sx = (ms: number): number =>
    LEFT + ((ms - minMs) / (maxMs - minMs)) * (WIDTH - LEFT - RIGHT);
  const sy = (label: string): number => TOP + (lanes.get(label) ?? 0) * LANE_H + LANE_H / 2;
  const svg: string[] = [];
  trace.nodes.forEach((n) => {
    const y = sy(n.label);
    svg.push(
      `<line class="lane" x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y}" y2="${y}"/>`,
      `<text class="lanelabel" x="8" y="${y + 4}">${n.label} ${shortId(n.id)}</text>`,
    );
  });
  for (let i = 0; i <= 10; i++) {
    const ms = minMs + ((maxMs - minMs) * i) / 10;
    svg.push(
      `<text class="tick" x="${sx(ms)}" y="${height - 22}" text-anchor="middle">${ms.toFixed(0)}</text>`,
    );
  }
  svg.push(
    `<text class="tick" x="${LEFT + (WIDTH - LEFT - RIGHT) / 2}" y="${height - 6}" text-anchor="middle">ms since the lookup started, on A's clock</text>`,
  );
  svg.push(...arrows(trace.entries, sx, sy));
  for (const e of trace.entries) {
    const color = COLOR[e.type] ?? '#888';
    const y = sy(e.label) + (e.type === 'decided' ? 12 : 0);
    svg.push(
      `<circle class="mark" data-type="${e.type}" cx="${sx(e.elapsedMs)}" cy="${y}" r="5" fill="${color}"><title>${escapeXml(`${formatElapsed(e.elapsedMs)} ${e.label}: ${e.text}`)}</title></circle>`,
    );
  }
  const rows = trace.entries
    .map(
      (e) =>
        `<tr class="${e.type}"><td>${formatElapsed(e.elapsedMs)}</td><td>${e.label}</td><td>${escapeXml(formatTime(e.atMs))}</td><td>${escapeXml(e.text)}</td></tr>`,
    )
    .join('\n');
  const nodes = trace.nodes
    .map(
      (n) =>
        `<li><b>${n.label}</b> ${n.id} <span class="muted">${escapeXml(n.dataDir)}</span>: ${escapeXml(n.label === 'A' ? 'the lookup’s node' : formatOffset(n.clock))}</li>`,
    )
    .join('\n');
  const unseen =
    trace.unseen.length === 0
      ? ''
      : `<p>not in the logs given: ${escapeXml(trace.unseen.map((u) => `${shortId(u.id)} ${u.addr} (${u.rpcs} RPCs)`).join(', '))}</p>`;
  const title = `trace of lookup ${trace.lookupId} (${trace.kind})`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeXml(title)}</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 20px; color: #222; }
h1 { font-size: 18px; margin: 0 0 4px; }
.muted { color: #777; }
svg { border: 1px solid #ddd; background: #fff; }
.lane { stroke: #ddd; stroke-width: 1; }
.lanelabel { font: 12px ui-monospace, monospace; fill: #333; }
.tick { font-size: 11px; fill: #666; }
.request { stroke: #4a7bd0; stroke-width: 1.5; fill: none; }
.answer { stroke: #2a9d4a; stroke-width: 1.5; fill: none; stroke-dasharray: 4 3; }
table { border-collapse: collapse; margin-top: 12px; }
td { border-bottom: 1px solid #eee; padding: 1px 8px; font: 12px ui-monospace, monospace; white-space: nowrap; }
tr.decided td:last-child { color: #a06b00; }
</style>
</head>
<body>
<h1>${escapeXml(title)} for ${trace.target}</h1>
<p>started ${formatTime(trace.startedAtMs)} on A's clock</p>
<ul>${nodes}</ul>
<p class="muted">${escapeXml(CLOCK_EXPLANATION)}</p>
${unseen}
<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" data-entries="${trace.entries.length}">
${svg.join('\n')}
</svg>
<table>
${rows}
</table>
</body>
</html>
`;
}

/** Request arrows A -> remote and answer arrows remote -> A, matched by rid and remote. */
function arrows(
  entries: TraceEntry[],
  sx: (ms: number) => number,
  sy: (label: string) => number,
): string[] {
  const out: string[] = [];
  for (const received of entries.filter((e) => e.type === 'rpc_received')) {
    const sent = entries.find(
      (e) => e.type === 'rpc_sent' && e.rid === received.rid && e.remote === received.remote,
    );
    if (sent !== undefined)
      out.push(
        `<line class="request" x1="${sx(sent.elapsedMs)}" y1="${sy('A')}" x2="${sx(received.elapsedMs)}" y2="${sy(received.label)}"/>`,
      );
    const answer = entries.find(
      (e) =>
        e.label === 'A' &&
        (e.type === 'lookup_step' || e.type === 'rpc_completed') &&
        e.remote === received.remote &&
        e.elapsedMs >= (sent?.elapsedMs ?? 0),
    );
    if (answer !== undefined)
      out.push(
        `<line class="answer" x1="${sx(received.elapsedMs)}" y1="${sy(received.label)}" x2="${sx(answer.elapsedMs)}" y2="${sy('A')}"/>`,
      );
  }
  return out;
}
