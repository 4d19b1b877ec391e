import 'reflect-metadata';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { signingKeyFromSecret } from '../../src/core/ed25519.js';
import {
  certificatePublicKey,
  createCertificate,
  selfSignedPublicKey,
} from '../../src/net/certificate.js';

describe('node certificate', () => {
  it('carries the node key: the pk extracted from DER or PEM is the node pk', async () => {
    const key = signingKeyFromSecret(randomBytes(32));
    const credentials = await createCertificate(key);
    assert.match(credentials.certPem, /^-----BEGIN CERTIFICATE-----/);
    assert.match(credentials.keyPem, /^-----BEGIN PRIVATE KEY-----/);
    assert.deepEqual(certificatePublicKey(credentials.certDer), key.pk);
    assert.deepEqual(certificatePublicKey(credentials.certPem), key.pk);
  });

  it('is self-signed by that key', async () => {
    const key = signingKeyFromSecret(randomBytes(32));
    const { certDer } = await createCertificate(key);
    assert.deepEqual(await selfSignedPublicKey(certDer), key.pk);
  });

  it('rejects a certificate that is not Ed25519, and bytes that are not a certificate', async () => {
    const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const subtle = crypto.subtle;
    const privateKey = await subtle.importKey(
      'pkcs8',
      keys.privateKey.export({ format: 'der', type: 'pkcs8' }),
      algorithm,
      false,
      ['sign'],
    );
    const publicKey = await subtle.importKey(
      'spki',
      keys.publicKey.export({ format: 'der', type: 'spki' }),
      algorithm,
      true,
      ['verify'],
    );
    const ecdsa = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '01',
      name: 'CN=not-a-node',
      keys: { privateKey, publicKey },
      signingAlgorithm: algorithm,
    });
    assert.equal(certificatePublicKey(new Uint8Array(ecdsa.rawData)), null);
    assert.equal(await selfSignedPublicKey(new Uint8Array(ecdsa.rawData)), null);
    assert.equal(certificatePublicKey(randomBytes(100)), null);
    assert.equal(await selfSignedPublicKey(randomBytes(100)), null);
  });

  it('rejects an Ed25519 certificate whose signature does not verify', async () => {
    const { certDer } = await createCertificate(signingKeyFromSecret(randomBytes(32)));
    const tampered = Uint8Array.from(certDer);
    tampered[tampered.length - 1]! ^= 0xff; // inside the signature
    assert.equal(await selfSignedPublicKey(tampered), null);
  });

  it('rejects an Ed25519 certificate whose signed part was changed after signing', async () => {
    const key = signingKeyFromSecret(randomBytes(32));
    const { certDer } = await createCertificate(key);
    const tampered = Uint8Array.from(certDer);
    const cn = Buffer.from(tampered).indexOf('tesseras-');
    tampered[cn]! ^= 0x01; // inside the subject name, covered by the signature
    assert.deepEqual(certificatePublicKey(tampered), key.pk);
    assert.equal(await selfSignedPublicKey(tampered), null);
  });

  it('reads the same pk as a general X.509 parser, from DER', async () => {
    for (let i = 0; i < 20; i++) {
      const key = signingKeyFromSecret(randomBytes(32));
      const { certDer } = await createCertificate(key);
      const spki = new Uint8Array(new x509.X509Certificate(certDer).publicKey.rawData);
      assert.deepEqual(certificatePublicKey(certDer), spki.slice(12));
    }
  });
});
