import assert from 'node:assert/strict';

/** The slice of node:test's TestContext that a requirement needs. */
export interface SkippableTest {
  readonly name: string;
  skip(message?: string): void;
  diagnostic(message: string): void;
}

/** True where a test that cannot run must fail: CI sets CI=true (.ci/run). */
export function inCi(env: NodeJS.ProcessEnv = process.env): boolean {
  return env['CI'] === 'true';
}

/**
 * Gates a test on a tool or privilege. `missing` is null when the requirement is met, else
 * the reason it is not. Under CI=true a missing requirement fails the test with the reason,
 * because CI installs everything the tests need and a skip there would hide a regression.
 * Elsewhere the test skips loudly: the reason goes to the skip message, to the test's
 * diagnostics and to stderr. Returns whether the test can run; on false, return at once.
 */
export function requirement(
  t: SkippableTest,
  what: string,
  missing: string | null,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (missing === null) return true;
  const reason = `needs ${what}: ${missing}`;
  if (inCi(env)) assert.fail(`${reason} (CI=true: a test that cannot run fails)`);
  t.diagnostic(`SKIPPED ${reason}`);
  process.stderr.write(`\n*** SKIPPED "${t.name}": ${reason} ***\n`);
  t.skip(reason);
  return false;
}

/**
 * Rejects, naming `what` (a function is read at the timeout, so it can tell what was seen),
 * if `promise` has not settled within `timeoutMs`.
 */
export async function withTimeout<T>(
  promise: Promise<T>,
  timeoutMs: number,
  what: string | (() => string),
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const description = typeof what === 'string' ? what : what();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${description}`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
