import type { Replay, ReplayCandidate } from './lookup-replay.js';
import { formatTime, plural } from './time-spec.js';

/** `tesd replay` as text: one block per step, then the result and why the lookup ended. */

const STATE_MARK: Record<ReplayCandidate['state'], string> = {
  answered: '+',
  inflight: '>',
  slow: '~',
  new: '.',
  failed: 'x',
};

const short = (id: string): string => id.slice(0, 8);

function wrap(items: string[], indent: string, width: number): string[] {
  const lines: string[] = [];
  let line = indent;
  for (const item of items) {
    if (line.length + item.length + 1 > width && line.trim() !== '') {
      lines.push(line.trimEnd());
      line = indent;
    }
    line += item + ' ';
  }
  if (line.trim() !== '') lines.push(line.trimEnd());
  return lines;
}

function shortlistLine(shortlist: ReplayCandidate[], width: number): string[] {
  const items = shortlist.map((c) => `${short(c.id)}:${c.cpl}${STATE_MARK[c.state]}`);
  return wrap(items, '      ', width);
}

export function renderReplay(replay: Replay, width = 100): string {
  const out: string[] = [];
  out.push(
    `lookup ${replay.id} (${replay.kind}) for ${replay.target}`,
    `started ${formatTime(replay.startedAtMs)}; seeded with ${replay.seeds.length} candidates ` +
      `(closest shares ${replay.seeds[0]?.cpl ?? 0} prefix bits with the target)`,
    `legend: id:shared-prefix-bits, then + answered, > in flight, ~ slow (past its soft timeout), . not yet queried ` +
      `(shortlist = the ${replay.k} closest not failed)`,
    '',
  );
  replay.steps.forEach((step, i) => {
    const result =
      step.outcome === 'ok'
        ? `answered in ${step.latencyMs} ms`
        : `${step.outcome.toUpperCase()} after ${step.latencyMs} ms`;
    out.push(
      `step ${i + 1}  +${step.elapsedMs} ms  ${short(step.peer)} ${step.addr}  ` +
        `shares ${plural(step.cpl, 'bit')}, hop ${step.hop}: ${result}`,
    );
    if (step.outcome === 'ok') {
      const fresh = step.returned.filter((r) => r.isNew);
      const best = Math.max(-1, ...step.returned.map((r) => r.cpl));
      out.push(
        `      returned ${plural(step.returned.length, 'peer')} (${fresh.length} new` +
          (best >= 0 ? `, closest shares ${plural(best, 'bit')}` : '') +
          `), ${plural(step.pointers, 'pointer')}`,
      );
      if (fresh.length > 0)
        out.push(
          ...wrap(['new:', ...fresh.map((r) => `${short(r.id)}:${r.cpl}`)], '      ', width),
        );
    }
    out.push(`      shortlist:`, ...shortlistLine(step.shortlist, width));
  });
  if (replay.unanswered.length > 0)
    out.push(
      '',
      `${replay.unanswered.length} RPCs never answered within the lookup: ` +
        replay.unanswered.map((u) => `${short(u.peer)} (sent +${u.sentElapsedMs} ms)`).join(', '),
    );
  out.push('');
  const r = replay.recorded;
  if (r === null) {
    out.push(replay.explanation);
  } else {
    out.push(
      `ended after ${r.durationMs} ms, ${r.rpcs} RPCs, ${r.hops} hops: ${replay.explanation}`,
      `result: ${r.result.length} peers${r.pointers > 0 ? `, ${r.pointers} pointers` : ''}`,
      ...wrap(r.result.map(short), '      ', width),
    );
    const c = replay.reconstructed;
    const same = c.rpcs === r.rpcs && c.hops === r.hops && c.result.join() === r.result.join();
    out.push(
      same
        ? 'the steps above reproduce the recorded result, hops and RPC count'
        : `note: the steps rebuild ${c.result.length} results, ${c.hops} hops, ${c.rpcs} RPCs ` +
            '(differences come from the /24 cap or a k other than the default)',
    );
  }
  return out.join('\n') + '\n';
}
