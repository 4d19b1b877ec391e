import { Command } from 'commander';
import { registerInspectCommands } from '../../src/cli/inspect/index.js';
import type { InspectIo } from '../../src/cli/inspect/inspect-io.js';
import { withTimeout } from '../support/requirement.js';

const WAIT_TIMEOUT_MS = 10_000;

/** Runs `tesd <args>` in process with captured output; `interrupt` plays Ctrl-C. */
export interface CliRun {
  readonly done: Promise<{ out: string; err: string; exitCode: number }>;
  /** Resolves once stdout contains `text`; rejects, naming what was printed, after `timeoutMs`. */
  waitForOutput(text: string, timeoutMs?: number): Promise<void>;
  interrupt(): void;
}

export function startCli(args: string[], nowMs = Date.now()): CliRun {
  let out = '';
  let err = '';
  let exitCode = 0;
  let interrupt: () => void = () => undefined;
  const interrupted = new Promise<void>((resolve) => (interrupt = resolve));
  const waiters: Array<{ text: string; resolve: () => void }> = [];
  const io: InspectIo = {
    out: (text) => {
      out += text;
      for (const w of waiters.filter((w) => out.includes(w.text))) w.resolve();
    },
    err: (text) => void (err += text),
    width: () => Infinity,
    now: () => nowMs,
    interrupted: () => interrupted,
    setExitCode: (code) => void (exitCode = code),
  };
  const program = new Command('tesd').exitOverride();
  registerInspectCommands(program, io);
  const done = program.parseAsync(['node', 'tesd', ...args]).then(() => ({ out, err, exitCode }));
  return {
    done,
    waitForOutput: (text, timeoutMs = WAIT_TIMEOUT_MS) =>
      withTimeout(
        new Promise<void>((resolve) => {
          if (out.includes(text)) resolve();
          else waiters.push({ text, resolve });
        }),
        timeoutMs,
        () => `${JSON.stringify(text)} on stdout (so far: ${JSON.stringify(out.slice(-200))})`,
      ),
    interrupt: () => interrupt(),
  };
}

export function runCli(
  args: string[],
  nowMs?: number,
): Promise<{ out: string; err: string; exitCode: number }> {
  return startCli(args, nowMs).done;
}
