import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { QUICConnection, QUICStream } from '@matrixai/quic';
import * as quicUtils from '@matrixai/quic/utils.js';
import {
  quicPatchApplied,
  UNPATCHED_QUIC_WARNING,
  warnIfQuicUnpatched,
} from '../../src/net/quic-patch-check.js';

/**
 * The project carries a patch of @matrixai/quic (patches/, applied by `npm ci` through the
 * `postinstall` script; docs/transport.md says what each change does). Without it a local send
 * error crashes the node and the hot path costs milliseconds: fail loudly if it is missing.
 */
describe('@matrixai/quic patch', () => {
  it('is applied: send failures are contained to their connection', () => {
    assert.equal(
      typeof (QUICConnection.prototype as unknown as Record<string, unknown>)['handleSendFailure'],
      'function',
      'patches/@matrixai+quic+*.patch is not applied: run `npx patch-package`',
    );
    assert.equal(typeof (quicUtils as Record<string, unknown>)['isTransientSendError'], 'function');
  });

  it('is applied: the hot path flushes once per turn, without a receive lock', () => {
    const proto = QUICConnection.prototype as unknown as Record<string, unknown>;
    assert.equal(typeof proto['scheduleSend'], 'function');
    assert.equal(typeof proto['sendDatagram'], 'function');
    assert.doesNotMatch(String(proto['recv']), /withF/);
    assert.equal(typeof (quicUtils as Record<string, unknown>)['takeSendBuffer'], 'function');
  });

  it('is applied: known streams are read directly, a waiting pull is served synchronously', () => {
    const connection = QUICConnection.prototype as unknown as Record<string, unknown>;
    const stream = QUICStream.prototype as unknown as Record<string, unknown>;
    assert.match(String(connection['processStreams']), /DIRECT_READ_STREAMS/);
    assert.equal(typeof stream['recvIntoReadable'], 'function');
    assert.match(String(connection['setConnTimeoutTimer']), /connTimeoutDeadline/);
  });

  it('is applied: a connection counts the datagrams it took in and stops its streams a few per turn, without re-dispatching their events if told', () => {
    // Both methods are wrapped by the library's decorators: read the patched module itself.
    const source = readFileSync(
      fileURLToPath(import.meta.resolve('@matrixai/quic/QUICConnection.js')),
      'utf8',
    );
    assert.match(source, /this\.datagramsReceived\+\+;/);
    assert.match(source, /i % STOP_DESTROY_STREAMS_PER_TURN === 0/);
    assert.match(source, /this\.config\.forwardStreamEvents !== false/);
  });
});

describe('an application with the released @matrixai/quic', () => {
  it('is told once, as a Node warning, that the library is not patched', async () => {
    const warnings: Array<{ code?: string; message: string }> = [];
    const listener = (warning: Error & { code?: string }): void => void warnings.push(warning);
    process.on('warning', listener);
    try {
      assert.equal(quicPatchApplied(), true);
      assert.equal(warnIfQuicUnpatched(), false);
      assert.equal(
        warnIfQuicUnpatched(() => false),
        true,
      );
      assert.equal(
        warnIfQuicUnpatched(() => false),
        false,
      );
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted next tick
    } finally {
      process.off('warning', listener);
    }
    assert.deepEqual(
      warnings.map((w) => w.code),
      ['TESD_QUIC_UNPATCHED'],
    );
    assert.equal(UNPATCHED_QUIC_WARNING.includes('patches/'), true);
  });
});
