import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TesdError } from '../core/errors.js';

/** The admin API's bearer token (SPEC §6): `<data-dir>/admin.token`, mode 0600, made at first start. */

export const ADMIN_TOKEN_FILE = 'admin.token';
const TOKEN_BYTES = 32;

export function adminTokenPath(dataDir: string): string {
  return join(dataDir, ADMIN_TOKEN_FILE);
}

/** Reads the token; a TesdError saying where it was looked for when it cannot. */
export function readAdminToken(dataDir: string): string {
  const path = adminTokenPath(dataDir);
  try {
    const token = readFileSync(path, 'utf8').trim();
    if (token.length > 0) return token;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT')
      throw new TesdError('token_unreadable', `cannot read ${path}: ${(error as Error).message}`);
  }
  throw new TesdError(
    'token_missing',
    `no admin token in ${path}: pass the --data-dir of a node that has started once`,
  );
}

export function loadOrCreateAdminToken(dataDir: string): string {
  const path = adminTokenPath(dataDir);
  try {
    // 'wx': never overwrite a token a running client may hold.
    writeFileSync(path, randomBytes(TOKEN_BYTES).toString('hex') + '\n', {
      mode: 0o600,
      flag: 'wx',
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
      throw new TesdError('token_unwritable', `cannot write ${path}: ${(error as Error).message}`);
  }
  return readAdminToken(dataDir);
}

/** Constant-time comparison of a presented token with the real one. */
export function tokenMatches(presented: string, token: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
