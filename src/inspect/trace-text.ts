import { shortId } from '../core/node-id.js';
import type { ClockOffset } from './trace-clock.js';
import { formatTime } from './time-spec.js';
import type { Trace } from './trace.js';

/** `tesd trace` as text: the nodes and their clocks, then one timeline on A's clock. */

export const CLOCK_EXPLANATION =
  "offset = the node's clock minus A's, from the RPC pairs: a request was received after A sent " +
  'it and before A got its answer, so the offset lies in [received - answered, received - sent]; ' +
  "shown: the middle of the intersection over the node's pairs, ± half its width (times are whole ms)";

export function formatOffset(clock: ClockOffset | null): string {
  if (clock === null) return 'received none of this lookup’s RPCs';
  const sign = clock.offsetMs >= 0 ? '+' : '-';
  const value = `${sign}${Math.abs(clock.offsetMs).toFixed(1)} ms`;
  if (clock.method === 'one_way')
    return `offset at most ${value} (no answered RPC: upper bound only)`;
  const how =
    clock.method === 'bounded'
      ? `from ${clock.pairs} RPC pair${clock.pairs === 1 ? '' : 's'}`
      : `from the fastest of ${clock.pairs} pairs (their bounds disagree: a clock stepped?)`;
  return `offset ${value} ± ${clock.uncertaintyMs.toFixed(1)} ms ${how}`;
}

export function formatElapsed(ms: number): string {
  return `${ms >= 0 ? '+' : '-'}${Math.abs(ms).toFixed(1)} ms`;
}

export function renderTrace(trace: Trace): string {
  const origin = trace.nodes[0]!;
  const lines = [
    `trace of lookup ${trace.lookupId} (${trace.kind}) for ${trace.target} on A = ${shortId(origin.id)} (${origin.dataDir})`,
    `started ${formatTime(trace.startedAtMs)} on A's clock; every time below is on A's clock, ms since that start`,
    '',
    'nodes and clocks',
    ...trace.nodes.map(
      (n) =>
        `  ${n.label.padEnd(2)} ${shortId(n.id)}  ${n.dataDir}  ` +
        (n.label === 'A' ? '(the lookup’s node)' : formatOffset(n.clock)),
    ),
    `  (${CLOCK_EXPLANATION})`,
  ];
  if (trace.unseen.length > 0)
    lines.push(
      `  not in the logs given (add their data dirs with --with): ` +
        trace.unseen.map((u) => `${shortId(u.id)} ${u.addr} (${u.rpcs} RPCs)`).join(', '),
    );
  lines.push('');
  const width = Math.max(...trace.entries.map((e) => formatElapsed(e.elapsedMs).length));
  for (const e of trace.entries) {
    const indent = e.type === 'decided' ? '    ' : '  ';
    lines.push(
      `${formatElapsed(e.elapsedMs).padStart(width)}  ${e.label.padEnd(2)}${indent}${e.text}`,
    );
  }
  return lines.join('\n') + '\n';
}
