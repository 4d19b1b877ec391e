// @peculiar/x509 needs a Reflect metadata polyfill loaded before it (its README).
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import {
  publicKeyObject,
  PUBLIC_KEY_BYTES,
  SIGNATURE_BYTES,
  verifySignature,
  type SigningKey,
} from '../core/ed25519.js';

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

/** Parses a DER or PEM certificate; null if it is not a certificate. */
export function parseCertificate(cert: Uint8Array | string): x509.X509Certificate | null {
  try {
    return new x509.X509Certificate(typeof cert === 'string' ? cert : Uint8Array.from(cert));
  } catch {
    return null;
  }
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
    return readCertificate(cert)?.pk ?? null;
  }
  const parsed = parseCertificate(cert);
  return parsed === null ? null : ed25519PublicKey(new Uint8Array(parsed.publicKey.rawData));
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
 * Synchronous and cheap (a DER walk and one Ed25519 verification, about a tenth of a general
 * X.509 parse and WebCrypto verify); async only for the callback's sake.
 */
export function selfSignedPublicKey(der: Uint8Array): Promise<Uint8Array | null> {
  return Promise.resolve(selfSignedPublicKeySync(der));
}

function selfSignedPublicKeySync(der: Uint8Array): Uint8Array | null {
  const key = derKey(der);
  const known = verifiedKeys.get(key);
  if (known !== undefined) return known;
  const cert = readCertificate(der);
  if (cert === null || !verifySignature(cert.pk, cert.tbs, cert.signature)) return null;
  if (verifiedKeys.size >= VERIFIED_KEYS_ENTRIES) verifiedKeys.clear();
  verifiedKeys.set(key, cert.pk);
  return cert.pk;
}

// ------------------------------------------------------------ a minimal DER reader (RFC 5280)

const SEQUENCE = 0x30;
const BIT_STRING = 0x03;
const EXPLICIT_VERSION = 0xa0; // [0] EXPLICIT Version
/** AlgorithmIdentifier of Ed25519 (RFC 8410 §3): SEQUENCE { OID 1.3.101.112 }, no parameters. */
const ED25519_ALGORITHM = Uint8Array.from([0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70]);

interface Tlv {
  readonly tag: number;
  /** Where the whole element (tag, length, value) starts and its value starts and ends. */
  readonly start: number;
  readonly valueStart: number;
  readonly end: number;
}

/** One DER element at `at` within `limit`; null if malformed (indefinite or overlong lengths). */
function readTlv(der: Uint8Array, at: number, limit: number): Tlv | null {
  if (at + 2 > limit) return null;
  const tag = der[at]!;
  let length = der[at + 1]!;
  let valueStart = at + 2;
  if (length >= 0x80) {
    const octets = length & 0x7f;
    if (octets === 0 || octets > 3 || valueStart + octets > limit) return null;
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + der[valueStart + i]!;
    valueStart += octets;
  }
  const end = valueStart + length;
  return end > limit ? null : { tag, start: at, valueStart, end };
}

interface Ed25519Certificate {
  readonly pk: Uint8Array;
  /** The DER of tbsCertificate: what the signature covers. */
  readonly tbs: Uint8Array;
  readonly signature: Uint8Array;
}

/**
 * The parts of an Ed25519 X.509 certificate that binding it to a node needs (RFC 5280 §4.1):
 * the subject key, the signed bytes and the signature; null for anything else.
 */
function readCertificate(der: Uint8Array): Ed25519Certificate | null {
  const certificate = readTlv(der, 0, der.length);
  if (certificate?.tag !== SEQUENCE || certificate.end !== der.length) return null;
  const tbs = readTlv(der, certificate.valueStart, certificate.end);
  if (tbs?.tag !== SEQUENCE) return null;
  const algorithm = readTlv(der, tbs.end, certificate.end);
  if (
    algorithm === null ||
    !sameBytes(der.subarray(algorithm.start, algorithm.end), ED25519_ALGORITHM)
  ) {
    return null;
  }
  const signature = readTlv(der, algorithm.end, certificate.end);
  if (
    signature?.tag !== BIT_STRING ||
    signature.end !== certificate.end ||
    signature.end - signature.valueStart !== 1 + SIGNATURE_BYTES ||
    der[signature.valueStart] !== 0 // no unused bits
  ) {
    return null;
  }
  const pk = subjectPublicKey(der, tbs);
  if (pk === null) return null;
  return {
    pk,
    tbs: der.subarray(tbs.start, tbs.end),
    signature: der.subarray(signature.valueStart + 1, signature.end),
  };
}

/** tbsCertificate: [version], serial, signature, issuer, validity, subject, subjectPublicKeyInfo. */
function subjectPublicKey(der: Uint8Array, tbs: Tlv): Uint8Array | null {
  let field = readTlv(der, tbs.valueStart, tbs.end);
  if (field?.tag === EXPLICIT_VERSION) field = readTlv(der, field.end, tbs.end);
  for (let skip = 0; skip < 5; skip++) {
    if (field === null) return null;
    field = readTlv(der, field.end, tbs.end);
  }
  if (field?.tag !== SEQUENCE) return null;
  return ed25519PublicKey(der.subarray(field.start, field.end));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
