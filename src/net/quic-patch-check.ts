import { QUICConnection, QUICStream } from '@matrixai/quic';

/**
 * Whether the installed @matrixai/quic carries this project's patch (docs/transport.md).
 * `npm ci` in this repository applies it through `postinstall`, but an application that
 * depends on the published package installs the library as released: without the patch a
 * firewall's EPERM on a send crashes the process and every RPC costs milliseconds of CPU.
 */
export function quicPatchApplied(): boolean {
  const connection = QUICConnection.prototype as unknown as Record<string, unknown>;
  const stream = QUICStream.prototype as unknown as Record<string, unknown>;
  return (
    typeof connection['handleSendFailure'] === 'function' &&
    typeof connection['scheduleSend'] === 'function' &&
    typeof stream['recvIntoReadable'] === 'function'
  );
}

export const UNPATCHED_QUIC_WARNING =
  '@matrixai/quic is not patched: a local send error (a firewall EPERM) can crash this ' +
  'process and each RPC costs milliseconds of CPU. Apply the patch shipped with ' +
  'tesseras-node in your own project: copy node_modules/tesseras-node/patches/*.patch ' +
  'into your patches/, add patch-package and run it from your postinstall ' +
  '(see node_modules/tesseras-node/docs/transport.md, "Applications that depend on this package").';

let warned = false;

/** Warns once per process (a Node warning, code TESD_QUIC_UNPATCHED) if the patch is missing. */
export function warnIfQuicUnpatched(applied: () => boolean = quicPatchApplied): boolean {
  if (warned || applied()) return false;
  warned = true;
  process.emitWarning(UNPATCHED_QUIC_WARNING, { code: 'TESD_QUIC_UNPATCHED' });
  return true;
}
