// @peculiar/x509 needs a Reflect metadata polyfill loaded before it (its README).
import 'reflect-metadata';
import { webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { publicKeyObject, PUBLIC_KEY_BYTES, type SigningKey } from '../core/ed25519.js';

/**
 * The node's TLS certificate (SPEC §3.1): self-signed X.509 whose key is the node's Ed25519
 * key, so that a connection is bound to the peer's node pk. Trust does not come from the
 * certificate (no CA, no names); it comes from the node ID check in the engine.
 */

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ED25519 = { name: 'Ed25519' } as const;
// DER SubjectPublicKeyInfo of an Ed25519 key: this 12-byte header, then the raw 32-byte key.
const ED25519_SPKI_HEADER = Uint8Array.from([
  0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
]);
// Nodes may run on boards without a clock, so validity dates are wide and never checked.
const NOT_BEFORE = new Date('2000-01-01T00:00:00Z');
const NOT_AFTER = new Date('9999-12-31T23:59:59Z');

/** PEM key and certificate, as the QUIC config's `key` and `cert` want them. */
export interface TlsCredentials {
  readonly keyPem: string;
  readonly certPem: string;
  readonly certDer: Uint8Array;
}

export async function createCertificate(key: SigningKey): Promise<TlsCredentials> {
  const pkcs8 = key.privateKey.export({ format: 'der', type: 'pkcs8' });
  const spki = publicKeyObject(key.pk).export({ format: 'der', type: 'spki' });
  const subtle = webcrypto.subtle;
  const privateKey = await subtle.importKey('pkcs8', pkcs8, ED25519, false, ['sign']);
  const publicKey = await subtle.importKey('spki', spki, ED25519, true, ['verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=tesseras-${Buffer.from(key.pk).toString('hex').slice(0, 16)}`,
    notBefore: NOT_BEFORE,
    notAfter: NOT_AFTER,
    signingAlgorithm: ED25519,
    keys: { privateKey, publicKey },
  });
  const keyPem = x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
  return {
    keyPem,
    certPem: certificate.toString('pem'),
    certDer: new Uint8Array(certificate.rawData),
  };
}

/**
 * Peers' certificates already verified, by DER bytes: a peer that reconnects (or the dial
 * that follows the TLS callback) is not parsed and verified again. Bounded; cleared when full.
 */
const verifiedKeys = new Map<string, Uint8Array>();
const VERIFIED_KEYS_ENTRIES = 4_096;

function derKey(der: Uint8Array): string {
  return Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
}

/** The raw 32-byte Ed25519 pk of a certificate, or null if it is not an Ed25519 certificate. */
export function certificatePublicKey(cert: Uint8Array | string): Uint8Array | null {
  if (typeof cert !== 'string') {
    const known = verifiedKeys.get(derKey(cert));
    if (known !== undefined) return known;
  }
  return readCertificate(cert)?.pk ?? null;
}

function ed25519PublicKey(spki: Uint8Array): Uint8Array | null {
  if (spki.length !== ED25519_SPKI_HEADER.length + PUBLIC_KEY_BYTES) return null;
  for (let i = 0; i < ED25519_SPKI_HEADER.length; i++) {
    if (spki[i] !== ED25519_SPKI_HEADER[i]) return null;
  }
  return spki.slice(ED25519_SPKI_HEADER.length);
}

/**
 * The pk of a peer's leaf certificate if it is a well-formed Ed25519 certificate signed by its
 * own key; null otherwise. Used by the TLS verify callback: any such certificate is accepted.
 * Synchronous and cheap (node:crypto's native X.509 parse and one Ed25519 verification, about
 * a fifth of @peculiar/x509's parse and WebCrypto verify); async only for the callback's sake.
 */
export function selfSignedPublicKey(der: Uint8Array): Promise<Uint8Array | null> {
  return Promise.resolve(selfSignedPublicKeySync(der));
}

function selfSignedPublicKeySync(der: Uint8Array): Uint8Array | null {
  const key = derKey(der);
  const known = verifiedKeys.get(key);
  if (known !== undefined) return known;
  const cert = readCertificate(der);
  if (cert === null || !cert.x509.verify(cert.x509.publicKey)) return null;
  if (verifiedKeys.size >= VERIFIED_KEYS_ENTRIES) verifiedKeys.clear();
  verifiedKeys.set(key, cert.pk);
  return cert.pk;
}

interface Ed25519Certificate {
  readonly pk: Uint8Array;
  readonly x509: X509Certificate;
}

/** A DER or PEM certificate whose key is Ed25519, parsed by node:crypto; null for anything else. */
function readCertificate(cert: Uint8Array | string): Ed25519Certificate | null {
  try {
    const x509 = new X509Certificate(
      typeof cert === 'string' ? cert : Buffer.from(cert.buffer, cert.byteOffset, cert.byteLength),
    );
    if (x509.publicKey.asymmetricKeyType !== 'ed25519') return null;
    const spki = x509.publicKey.export({ format: 'der', type: 'spki' });
    const pk = ed25519PublicKey(new Uint8Array(spki));
    return pk === null ? null : { pk, x509 };
  } catch {
    return null;
  }
}
