import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package as a user gets it, without the registry: `npm pack` makes the tarball, which is
 * unpacked into `<project>/node_modules/tesseras-node` (what npm does with a tarball), and
 * each of its declared `dependencies` is linked to this repository's installed copy. Node
 * resolves a linked package's own imports from its real path, so transitive dependencies
 * come from this repository too, already built (better-sqlite3's native addon) and patched;
 * a dependency the package uses but does not declare is not linked and fails to resolve.
 * `npm install --offline` of the tarball cannot be used: npm ci caches tarballs, not the
 * registry metadata an install without a lockfile needs (ENOTCACHED).
 */

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The newest modification time of the files under `dir` (ms). */
function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path);
    newest = Math.max(newest, stat.isDirectory() ? newestMtimeMs(path) : stat.mtimeMs);
  }
  return newest;
}

/** Builds dist/ unless it is newer than every source file (CI has just built it). */
export function ensureBuilt(): void {
  const entry = join(REPO, 'dist/src/api/index.js');
  let builtAtMs = 0;
  try {
    builtAtMs = statSync(entry).mtimeMs;
  } catch {
    // Not built yet.
  }
  const sources = Math.max(
    newestMtimeMs(join(REPO, 'src')),
    statSync(join(REPO, 'package.json')).mtimeMs,
  );
  if (builtAtMs > sources) return;
  execFileSync('npm', ['run', 'build'], { cwd: REPO, stdio: 'pipe' });
}

/** `npm pack` into `dir` (dist/ built first); returns the tarball's path and its file list. */
export function pack(dir: string): { tarball: string; files: string[] } {
  ensureBuilt();
  const out = execFileSync(
    'npm',
    ['pack', '--json', '--ignore-scripts', '--pack-destination', dir],
    { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const [info] = JSON.parse(out) as Array<{ filename: string; files: Array<{ path: string }> }>;
  return { tarball: join(dir, info!.filename), files: info!.files.map((f) => f.path) };
}

function link(project: string, name: string, target: string): void {
  const path = join(project, 'node_modules', name);
  mkdirSync(dirname(path), { recursive: true });
  symlinkSync(target, path, 'dir');
}

/**
 * A fresh project in `project` with the tarball installed as `tesseras-node`; `typesFor`
 * are extra packages linked for the TypeScript compiler (e.g. @types/node).
 */
export function installTarball(project: string, tarball: string, typesFor: string[] = []): void {
  const installed = join(project, 'node_modules', 'tesseras-node');
  mkdirSync(installed, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '--strip-components=1', '-C', installed]);
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  for (const name of [...Object.keys(manifest.dependencies ?? {}), ...typesFor])
    link(project, name, join(REPO, 'node_modules', name));
}
