import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./log-writer-child.ts', import.meta.url));
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;

/**
 * A log written by another process while a test reads or copies it, as a running node does.
 * `committed` is the last seq the writer reported durable; `waitForCommitted` has a timeout.
 */
export interface LogWriter {
  readonly committed: number;
  waitForCommitted(seq: number, timeoutMs?: number): Promise<number>;
  /** Stops the writer (SIGTERM), waits for it to close its store; returns the last seq. */
  stop(): Promise<number>;
}

export interface LogWriterOptions {
  /** Events per commit (default 20). */
  burst?: number;
  /** Pause between commits (default 5 ms). */
  pauseMs?: number;
}

export async function startLogWriter(
  t: { after(fn: () => unknown): void },
  dataDir: string,
  options: LogWriterOptions = {},
): Promise<LogWriter> {
  const args = [String(options.burst ?? 20), String(options.pauseMs ?? 5), '60000'];
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', CHILD, dataDir, ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let committed = 0;
  let output = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    output += chunk;
    const lines = output.split('\n');
    output = lines.pop()!;
    for (const line of lines) {
      const match = /^committed (\d+)$/.exec(line);
      if (match) committed = Number(match[1]);
    }
    for (const wake of waiters) wake();
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });

  const waitForCommitted = (seq: number, timeoutMs = START_TIMEOUT_MS): Promise<number> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (committed >= seq) finish(() => resolve(committed));
        else if (child.exitCode !== null)
          finish(() => reject(new Error(`log writer exited (${child.exitCode}): ${stderr}`)));
      };
      const timer = setTimeout(
        () =>
          finish(() =>
            reject(new Error(`timed out after ${timeoutMs} ms waiting for seq ${seq}: ${stderr}`)),
          ),
        timeoutMs,
      );
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        waiters.delete(check);
        settle();
      };
      waiters.add(check);
      void exited.then(check);
      check();
    });

  await waitForCommitted(1);
  return {
    get committed() {
      return committed;
    },
    waitForCommitted,
    stop: async () => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      const code = await exited;
      clearTimeout(timer);
      if (code !== 0) throw new Error(`log writer exited with ${code}: ${stderr}`);
      return committed;
    },
  };
}
