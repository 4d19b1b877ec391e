import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A tiny tmpfs for a real full-disk test. Mounting needs root (or CAP_SYS_ADMIN): where it is
 * refused, returns the reason, for test/support/requirement.ts (fails under CI, skips loudly
 * elsewhere).
 */
export interface SmallTmpfs {
  readonly dir: string;
  /** Remounts with more room: the disk was freed. */
  grow(sizeMib: number): void;
}

export function mountSmallTmpfs(
  t: { after(fn: () => void): void },
  sizeMib: number,
): SmallTmpfs | { refused: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tesd-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMib}m`, 'tmpfs', dir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    return { refused: `mount -t tmpfs refused: ${stderr || String(error)}` };
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
