import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { TesdError } from '../../src/core/errors.js';
import { readConfigFile, resolveRunConfig } from '../../src/cli/run-config.js';

describe('tesd run configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tesd-config-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('fills defaults, and flags override the file', () => {
    const file = join(dir, 'ok.json');
    writeFileSync(
      file,
      JSON.stringify({ bind: '127.0.0.1:5000', difficulty: 4, bootstrap: ['10.0.0.1:4433'] }),
    );
    const config = resolveRunConfig(readConfigFile(file), { difficulty: 6 });
    assert.equal(config.bind, '127.0.0.1:5000');
    assert.equal(config.difficulty, 6);
    assert.deepEqual(config.bootstrap, [{ addr: '10.0.0.1:4433' }]);
    assert.deepEqual(config.admin, { host: '127.0.0.1', port: 4480 });
    assert.equal(config.client, false);
  });

  it('parses ID@host:port seeds and IPv6 addresses', () => {
    const id = 'AB'.repeat(20);
    const config = resolveRunConfig(
      {},
      { bootstrap: [`${id}@[2001:DB8::1]:4433`], admin: '[::1]:0' },
    );
    assert.deepEqual(config.bootstrap, [{ addr: '[2001:db8::1]:4433', idHex: id.toLowerCase() }]);
    assert.deepEqual(config.admin, { host: '::1', port: 0 });
  });

  it('refuses unknown keys, wrong types and bad addresses with a TesdError', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ bind: '0.0.0.0:4433', binds: 'x' }));
    assert.throws(
      () => readConfigFile(file),
      (e: unknown) => e instanceof TesdError && /unknown key\(s\) "binds"/.test(e.message),
    );
    writeFileSync(file, JSON.stringify({ client: 'yes' }));
    assert.throws(() => readConfigFile(file), /client/);
    assert.throws(() => resolveRunConfig({}, { bind: 'example.com:4433' }), /--bind/);
    assert.throws(() => resolveRunConfig({}, { metrics: '127.0.0.1:70000' }), /--metrics/);
    assert.throws(() => resolveRunConfig({}, { bootstrap: ['127.0.0.1'] }), /--bootstrap/);
    assert.throws(() => readConfigFile(join(dir, 'missing.json')), /cannot read --config/);
  });
});
