import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A tiny tmpfs for a real full-disk test. Mounting needs root (or CAP_SYS_ADMIN): returns null
 * where it is refused, and the caller falls back to fault injection.
 */
export interface SmallTmpfs {
  readonly dir: string;
  /** Remounts with more room: the disk was freed. */
  grow(sizeMib: number): void;
}

export function mountSmallTmpfs(
  t: { after(fn: () => void): void },
  sizeMib: number,
): SmallTmpfs | null {
  const dir = mkdtempSync(join(tmpdir(), 'tesd-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMib}m`, 'tmpfs', dir], {
      stdio: 'ignore',
    });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  t.after(() => {
    execFileSync('umount', [dir], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    grow: (size) =>
      execFileSync('mount', ['-o', `remount,size=${size}m`, dir], { stdio: 'ignore' }),
  };
}
