import type { Command } from 'commander';
import { TesdError } from '../../core/errors.js';
import { openLog } from '../../api/event-log.js';
import type { EventLog } from '../../api/log-types.js';
import { describeError } from '../cli-errors.js';

/**
 * What the inspection commands print to and read from: the process by default, a capture in
 * tests. Errors a user can cause become one line on stderr and exit code 1.
 */
export interface InspectIo {
  out(text: string): void;
  err(text: string): void;
  /** Terminal width for tables; Infinity when the output is not a terminal. */
  width(): number;
  now(): number;
  /** Resolves when the user asks to stop (SIGINT): ends `events --follow`. */
  interrupted(): Promise<void>;
  setExitCode(code: number): void;
}

export const processIo: InspectIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  width: () => (process.stdout.isTTY ? (process.stdout.columns ?? 100) : Infinity),
  now: () => Date.now(),
  interrupted: () => new Promise((resolve) => process.once('SIGINT', () => resolve())),
  setExitCode: (code) => {
    process.exitCode = code;
  },
};

export const DATA_DIR_DEFAULT = './tesd-data';

export function withDataDir(command: Command): Command {
  return command.option('--data-dir <dir>', 'the node data directory', DATA_DIR_DEFAULT);
}

/** Runs a command body; a thrown error becomes one line and exit code 1. */
export async function runCommand(io: InspectIo, body: () => void | Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    io.err(`tesd: ${describeError(error)}\n`);
    io.setExitCode(1);
  }
}

export function parseCount(flag: string, text: string): number {
  if (!/^\d+$/.test(text))
    throw new TesdError('bad_flag', `${flag} must be a non-negative integer, got "${text}"`);
  return Number(text);
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

/** Opens the data directory's log read-only through the library API, and always closes it. */
export function withEventLog<T>(dataDir: string, use: (log: EventLog) => T): T {
  const log = openLog(dataDir);
  try {
    return use(log);
  } finally {
    log.close();
  }
}
