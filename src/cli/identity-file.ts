import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { fromHex, toHex } from '../core/bytes.js';
import { signingKeyFromSecret, SECRET_KEY_BYTES, type SigningKey } from '../core/ed25519.js';
import { TesdError } from '../core/errors.js';
import { makeIdentity, type NodeIdentity } from '../core/identity.js';
import { findNonce, MAX_NONCE, powBits } from '../core/proof-of-work.js';

/**
 * The node's identity on disk (SPEC §1): `<data-dir>/identity.json`, mode 0600, holding the
 * Ed25519 secret key (the 32-byte seed, hex) and the proof-of-work nonce. `id` and `pk` are
 * written too for people reading the file; they are derived again and checked at load.
 */

export const IDENTITY_FILE = 'identity.json';
const FILE_MODE = 0o600; // SPEC §1: readable by its owner only
const FORMAT_VERSION = 1;

const identityFileSchema = z
  .object({
    version: z.literal(FORMAT_VERSION),
    secret_key: z.string().regex(/^[0-9a-f]{64}$/),
    nonce: z.number().int().min(0).max(MAX_NONCE),
    pk: z.string().optional(),
    id: z.string().optional(),
  })
  .strict();

export interface LoadedIdentity {
  readonly key: SigningKey;
  readonly identity: NodeIdentity;
  /** Leading zero bits of its proof of work (at least the difficulty it was made for). */
  readonly workBits: number;
  readonly path: string;
}

export function identityPath(dataDir: string): string {
  return join(dataDir, IDENTITY_FILE);
}

/** A new key and the first nonce meeting `difficulty` (about 2^difficulty hashes). */
export function generateIdentity(difficulty: number): { key: SigningKey; identity: NodeIdentity } {
  const key = signingKeyFromSecret(randomBytes(SECRET_KEY_BYTES));
  const nonce = findNonce(key.pk, difficulty);
  return { key, identity: makeIdentity(key.pk, nonce) };
}

/** Reads the identity file; null if there is none. */
export function readIdentity(dataDir: string): LoadedIdentity | null {
  const path = identityPath(dataDir);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    throw new TesdError('identity_unreadable', `cannot read ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new TesdError('identity_invalid', `${path} is not valid JSON`);
  }
  const parsed = identityFileSchema.safeParse(json);
  if (!parsed.success)
    throw new TesdError(
      'identity_invalid',
      `${path} is not a tesd identity file (${parsed.error.issues[0]?.message ?? 'schema'})`,
    );
  const key = signingKeyFromSecret(fromHex(parsed.data.secret_key)!);
  const identity = makeIdentity(key.pk, parsed.data.nonce);
  if (parsed.data.id !== undefined && parsed.data.id !== identity.idHex)
    throw new TesdError(
      'identity_invalid',
      `${path}: the id written in it does not derive from its key and nonce`,
    );
  return { key, identity, workBits: powBits(key.pk, identity.nonce), path };
}

/** Writes the identity file atomically (temp file, then rename), mode 0600. */
export function writeIdentity(dataDir: string, key: SigningKey, identity: NodeIdentity): string {
  const path = identityPath(dataDir);
  const temp = `${path}.tmp-${process.pid}`;
  const body = {
    version: FORMAT_VERSION,
    secret_key: toHex(key.secretKey),
    nonce: identity.nonce,
    pk: toHex(identity.pk),
    id: identity.idHex,
  };
  try {
    writeFileSync(temp, JSON.stringify(body, null, 2) + '\n', { mode: FILE_MODE, flag: 'w' });
    chmodSync(temp, FILE_MODE); // the umask may have narrowed it; never widened
    renameSync(temp, path);
  } catch (error) {
    throw new TesdError('identity_unwritable', `cannot write ${path}: ${(error as Error).message}`);
  }
  return path;
}

/**
 * The data directory's identity, created on first start. An existing identity whose work is
 * below `difficulty` is refused: peers configured like this node would reject it.
 */
export function loadOrCreateIdentity(
  dataDir: string,
  difficulty: number,
): LoadedIdentity & { created: boolean } {
  const existing = readIdentity(dataDir);
  if (existing !== null) {
    if (existing.workBits < difficulty)
      throw new TesdError(
        'identity_too_weak',
        `the identity in ${existing.path} has ${existing.workBits} bits of proof of work, below ` +
          `--difficulty ${difficulty}: lower it, or make a new one with tesd identity --rotate --difficulty ${difficulty}`,
      );
    return { ...existing, created: false };
  }
  const { key, identity } = generateIdentity(difficulty);
  const path = writeIdentity(dataDir, key, identity);
  return { key, identity, workBits: powBits(key.pk, identity.nonce), path, created: true };
}
