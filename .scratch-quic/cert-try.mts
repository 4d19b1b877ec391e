import { randomBytes } from 'node:crypto';
import { signingKeyFromSecret } from '/work/main/src/core/ed25519.ts';
import { createCertificate, certificatePublicKey, selfSignedPublicKey } from '/work/main/src/net/certificate.ts';
const key = signingKeyFromSecret(randomBytes(32));
const c = await createCertificate(key);
console.log(c.certPem.slice(0, 80), c.keyPem.slice(0, 40));
console.log(Buffer.from(certificatePublicKey(c.certPem)!).equals(Buffer.from(key.pk)), Buffer.from(certificatePublicKey(c.certDer)!).equals(Buffer.from(key.pk)));
console.log(await selfSignedPublicKey(c.certDer));
