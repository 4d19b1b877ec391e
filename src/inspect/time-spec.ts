import { TesdError } from '../core/errors.js';

/**
 * Moments on the command line: `--since 10m` / `--since 2025-01-01T12:00:00Z` and
 * `--at SEQ|TIME`. Durations count back from now.
 */

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/** `10m`, `2h`, `1d` as milliseconds, or null when it is not a duration. */
export function parseDurationMs(text: string): number | null {
  const match = DURATION.exec(text.trim());
  if (match === null) return null;
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

/** A duration ago, or an ISO time, as unix milliseconds. */
export function parseTime(text: string, nowMs: number): number {
  const durationMs = parseDurationMs(text);
  if (durationMs !== null) return nowMs - durationMs;
  // A bare number would parse as a year: a time must look like one (ISO 8601).
  if (/^\d{4}-\d{2}-\d{2}/.test(text.trim())) {
    const atMs = Date.parse(text);
    if (!Number.isNaN(atMs)) return atMs;
  }
  throw new TesdError(
    'bad_time',
    `cannot read "${text}" as a time: use an ISO time (2025-01-31T12:00:00Z) or a duration (10m, 2h, 1d)`,
  );
}

/** `--at`: a plain integer is a seq; anything else is a time. */
export type Moment = { readonly seq: number } | { readonly atMs: number };

export function parseMoment(text: string, nowMs: number): Moment {
  if (/^\d+$/.test(text.trim())) return { seq: Number(text) };
  return { atMs: parseTime(text, nowMs) };
}

export function formatTime(atMs: number): string {
  return new Date(atMs).toISOString();
}

/** 1234 -> "1.23 s", 45 -> "45 ms". */
export function formatDurationMs(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1_000).toFixed(2)} s`;
  if (ms < 7_200_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** "3 s ago", "2 h ago": for last-seen columns. */
export function formatAgo(atMs: number, nowMs: number): string {
  return `${formatDurationMs(Math.max(0, nowMs - atMs))} ago`;
}

/** "1 peer", "3 peers". */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
