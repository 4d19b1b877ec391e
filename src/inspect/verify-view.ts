import type { VerifyReport } from '../events/verify-log.js';

/** `tesd verify` output: what is broken and where, or that the log is sound. */
export function renderVerify(report: VerifyReport, dataDir: string): string {
  if (report.ok)
    return (
      `ok: ${report.checkedRows} events in ${dataDir} verified ` +
      '(hash chain, checkpoints, quick_check)\n'
    );
  const lines = [
    `BROKEN: ${dataDir}/events.db` +
      (report.firstBadSeq === null ? '' : `, first bad seq ${report.firstBadSeq}`),
  ];
  for (const problem of report.problems) lines.push(`  ${problem}`);
  if (report.badSnapshotSeqs.length > 0)
    lines.push(`  invalid snapshots at seq ${report.badSnapshotSeqs.join(', ')}`);
  lines.push(
    report.firstBadSeq === null
      ? 'the events chain is intact; see the problems above'
      : `events before seq ${report.firstBadSeq} can be trusted; ` +
          '`tesd run --repair` keeps them and drops the rest',
  );
  return lines.join('\n') + '\n';
}
