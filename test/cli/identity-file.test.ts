import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { powBits } from '../../src/core/proof-of-work.js';
import { loadOrCreateIdentity, readIdentity } from '../../src/cli/identity-file.js';
import { loadOrCreateAdminToken } from '../../src/cli/admin-token.js';

describe('identity and admin token files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tesd-identity-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('creates an identity meeting the difficulty, mode 0600, and keeps it', () => {
    const created = loadOrCreateIdentity(dir, 6);
    assert.equal(created.created, true);
    assert.ok(powBits(created.identity.pk, created.identity.nonce) >= 6);
    assert.equal(statSync(created.path).mode & 0o777, 0o600);
    const again = loadOrCreateIdentity(dir, 6);
    assert.equal(again.created, false);
    assert.equal(again.identity.idHex, created.identity.idHex);
    assert.equal(readIdentity(dir)?.identity.idHex, created.identity.idHex);
  });

  it('refuses to run an identity weaker than the configured difficulty', () => {
    const workBits = readIdentity(dir)!.workBits;
    assert.throws(
      () => loadOrCreateIdentity(dir, workBits + 1),
      /bits of proof of work, below --difficulty/,
    );
  });

  it('makes the admin token once, mode 0600', () => {
    const token = loadOrCreateAdminToken(dir);
    assert.match(token, /^[0-9a-f]{64}$/);
    assert.equal(loadOrCreateAdminToken(dir), token);
    assert.equal(statSync(join(dir, 'admin.token')).mode & 0o777, 0o600);
  });
});
