import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * Headless Chromium for the HTML tests (Debian's `chromium`): installed here only when missing
 * and the tests run as root; otherwise the caller skips with this module's reason.
 */
const CHROMIUM = '/usr/bin/chromium';

export function ensureChromium(): { path: string } | { skip: string } {
  if (existsSync(CHROMIUM)) return { path: CHROMIUM };
  if (process.getuid?.() !== 0)
    return { skip: `${CHROMIUM} is missing and the tests are not root: cannot install it` };
  const install = spawnSync('apt-get', ['install', '-y', 'chromium'], {
    stdio: 'ignore',
    timeout: 600_000,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (install.status !== 0 || !existsSync(CHROMIUM))
    return {
      skip: `apt-get install -y chromium failed (exit ${install.status}): cannot load the page`,
    };
  return { path: CHROMIUM };
}

/** Loads a page headless; returns the DOM after scripts ran, and the browser's log. */
export function loadPage(
  chromium: string,
  url: string,
  profileDir: string,
): { dom: string; log: string; status: number | null } {
  const run = spawnSync(
    chromium,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--enable-logging=stderr',
      '--v=0',
      `--user-data-dir=${profileDir}`,
      '--dump-dom',
      url,
    ],
    { encoding: 'utf8', timeout: 120_000 },
  );
  return { dom: run.stdout, log: run.stderr, status: run.status };
}
