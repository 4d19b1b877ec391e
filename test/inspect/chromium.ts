import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { REPO } from '../e2e/tesd-process.js';

/**
 * Headless Debian Chromium (`/usr/bin/chromium`, installed by `.ci/run`) driven by
 * playwright-core; never a downloaded browser. Without it a browser test fails under CI=true
 * and skips loudly otherwise: `if (!requirement(t, 'chromium', chromiumMissing())) return;`.
 */
export const CHROMIUM = '/usr/bin/chromium';
/** Screenshots of the browser tests (gitignored). */
export const ARTIFACTS_DIR = join(REPO, 'test-artifacts');
const LAUNCH_TIMEOUT_MS = 60_000;

/** Why the browser tests cannot run here, or null. */
export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM)
    ? null
    : `${CHROMIUM} is missing: install Debian's chromium (bash .ci/run does)`;
}

/** Launches the browser, runs `use`, and closes the browser whatever happened. */
export async function withBrowser<T>(use: (browser: Browser) => Promise<T>): Promise<T> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    timeout: LAUNCH_TIMEOUT_MS,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    return await use(browser);
  } finally {
    await browser.close();
  }
}

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return join(ARTIFACTS_DIR, name);
}
