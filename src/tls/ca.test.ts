import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { inspect } from 'node:util';

import { generateCa, loadCa, randomSerial } from './ca';
import { webcrypto, x509 } from './x509';

type Keys = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'];

const DAY = 24 * 3600_000;

async function ecKeys(): Promise<{ keys: Keys; pem: string }> {
  const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as unknown as Keys;
  const der = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as unknown as webcrypto.CryptoKey);
  return { keys, pem: x509.PemConverter.encode(der, 'PRIVATE KEY') };
}

/** A self-signed certificate with the given CA-ness, key usage and validity. */
async function selfSigned(
  keys: Keys,
  options: { ca: boolean; usage?: x509.KeyUsageFlags; from?: number; to?: number; algorithm?: string },
): Promise<string> {
  const extensions: x509.Extension[] = [new x509.BasicConstraintsExtension(options.ca, undefined, true)];
  if (options.usage !== undefined) extensions.push(new x509.KeyUsagesExtension(options.usage, true));
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: 'CN=test CA',
    notBefore: new Date(options.from ?? Date.now() - DAY),
    notAfter: new Date(options.to ?? Date.now() + DAY),
    keys,
    signingAlgorithm:
      options.algorithm === 'RSA'
        ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
        : { name: 'ECDSA', hash: 'SHA-256' },
    extensions,
  });
  return cert.toString('pem');
}

const load = (certificatePem: string, privateKeyPem: string) =>
  loadCa({ certificatePem, privateKeyPem, certificateSource: '/etc/ca/ca.crt', keySource: '/etc/ca/ca.key' });

describe('generateCa', () => {
  it('makes an ECDSA P-256 CA valid ten years, pathLen 0, keyCertSign and cRLSign only', async () => {
    const now = Date.parse('2026-03-01T12:00:00Z');
    const ca = await generateCa({ hostname: 'build-7', now });
    const cert = new x509.X509Certificate(ca.certificatePem);
    expect(cert.subject).toBe('CN=Portcullis interception CA (build-7\\, 2026-03-01)');
    expect(cert.notAfter.toISOString()).toBe('2036-03-01T12:00:00.000Z');
    expect(cert.notBefore.getTime()).toBeLessThanOrEqual(now);
    const basic = cert.getExtension(x509.BasicConstraintsExtension)!;
    expect([basic.ca, basic.pathLength, basic.critical]).toEqual([true, 0, true]);
    const usage = cert.getExtension(x509.KeyUsagesExtension)!;
    expect(usage.usages).toBe(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
    expect(usage.critical).toBe(true);
    expect(cert.getExtension(x509.SubjectKeyIdentifierExtension)).not.toBeNull();
    const node = new X509Certificate(ca.certificatePem);
    expect(node.ca).toBe(true);
    expect(node.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(ca.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n[^\r]+-----END PRIVATE KEY-----\n$/);
    // And it loads.
    await expect(load(ca.certificatePem, ca.privateKeyPem)).resolves.toMatchObject({
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    });
  });

  it('keeps odd characters of the host name out of the subject', async () => {
    const ca = await generateCa({ hostname: 'a=b,c+d' });
    expect(new x509.X509Certificate(ca.certificatePem).subject).toContain('(a_b_c_d\\,');
  });
});

describe('loadCa', () => {
  it('accepts an RSA CA and signs with PKCS#1 v1.5 SHA-256', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keys = {
      privateKey: await webcrypto.subtle.importKey(
        'pkcs8',
        rsa.privateKey.export({ type: 'pkcs8', format: 'der' }),
        { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
        true,
        ['sign'],
      ),
      publicKey: await webcrypto.subtle.importKey(
        'spki',
        rsa.publicKey.export({ type: 'spki', format: 'der' }),
        { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
        true,
        ['verify'],
      ),
    } as unknown as Keys;
    const pem = await selfSigned(keys, { ca: true, algorithm: 'RSA' });
    // PKCS#1 ("BEGIN RSA PRIVATE KEY") is accepted too.
    const ca = await load(pem, rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string);
    expect(ca.signingAlgorithm).toEqual({ name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' });
    expect(ca.signingKey.extractable).toBe(false);
  });

  it('never shows the key when logged or printed', async () => {
    const made = await generateCa({ hostname: 'h' });
    const ca = await load(made.certificatePem, made.privateKeyPem);
    const body = made.privateKeyPem.split('\n')[1]!;
    expect(JSON.stringify(ca)).not.toContain(body.slice(0, 20));
    expect(JSON.stringify(ca)).toContain('Portcullis interception CA');
    expect(inspect(ca)).toMatch(/^CertificateAuthority CN=Portcullis/);
    expect(ca.signingKey.extractable).toBe(false);
  });

  it.each<[string, () => Promise<[string, string]>, RegExp]>([
    [
      'a certificate that is not a CA',
      async () => {
        const k = await ecKeys();
        return [await selfSigned(k.keys, { ca: false }), k.pem];
      },
      /\/etc\/ca\/ca\.crt is not a CA: .*cA=true.*portcullis ca init/,
    ],
    [
      'a CA whose keyUsage lacks keyCertSign',
      async () => {
        const k = await ecKeys();
        return [await selfSigned(k.keys, { ca: true, usage: x509.KeyUsageFlags.digitalSignature }), k.pem];
      },
      /may not sign certificates: its keyUsage lacks keyCertSign/,
    ],
    [
      'an expired CA',
      async () => {
        const k = await ecKeys();
        return [
          await selfSigned(k.keys, { ca: true, from: Date.now() - 3 * DAY, to: Date.now() - DAY }),
          k.pem,
        ];
      },
      /\/etc\/ca\/ca\.crt expired on/,
    ],
    [
      'a CA not valid yet',
      async () => {
        const k = await ecKeys();
        return [
          await selfSigned(k.keys, { ca: true, from: Date.now() + DAY, to: Date.now() + 3 * DAY }),
          k.pem,
        ];
      },
      /is not valid until .*clock/,
    ],
    [
      'a key of another certificate',
      async () => {
        const a = await ecKeys();
        const b = await ecKeys();
        return [await selfSigned(a.keys, { ca: true }), b.pem];
      },
      /the key \/etc\/ca\/ca\.key does not belong to the CA certificate \/etc\/ca\/ca\.crt/,
    ],
    [
      'an encrypted key',
      async () => {
        const k = await ecKeys();
        const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
        const encrypted = pair.privateKey.export({
          type: 'pkcs8',
          format: 'pem',
          cipher: 'aes-256-cbc',
          passphrase: 'x',
        }) as string;
        return [await selfSigned(k.keys, { ca: true }), encrypted];
      },
      /is encrypted; give it unencrypted/,
    ],
    ['no certificate at all', async () => ['hello', (await ecKeys()).pem], /holds no PEM certificate/],
    [
      'no key at all',
      async () => {
        const k = await ecKeys();
        return [await selfSigned(k.keys, { ca: true }), 'not a key'];
      },
      /holds no PEM private key/,
    ],
    [
      'a garbled key',
      async () => {
        const k = await ecKeys();
        return [
          await selfSigned(k.keys, { ca: true }),
          '-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWJ5dGVz\n-----END PRIVATE KEY-----\n',
        ];
      },
      /could not be read as a PEM private key/,
    ],
  ])('refuses %s, naming the file and the fix', async (_name, make, message) => {
    const [cert, key] = await make();
    const err = await load(cert, key).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'config_invalid' });
    expect((err as Error).message).toMatch(message);
    // Nothing from the key file is quoted.
    const keyBody = key.split('\n').find((l) => l.length > 10 && !l.startsWith('-----'));
    if (keyBody !== undefined) expect((err as Error).message).not.toContain(keyBody);
  });

  it('refuses a P-384 key: only P-256 and RSA are signed with', async () => {
    const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, [
      'sign',
      'verify',
    ])) as unknown as Keys;
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      name: 'CN=p384',
      keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-384' },
      extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
    });
    const der = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as unknown as webcrypto.CryptoKey);
    await expect(load(cert.toString('pem'), x509.PemConverter.encode(der, 'PRIVATE KEY'))).rejects.toThrow(
      /is EC secp384r1; a CA key must be EC P-256 or RSA/,
    );
  });
});

describe('randomSerial', () => {
  it('is 16 bytes, positive and without a leading zero byte', () => {
    for (let i = 0; i < 200; i++) {
      const s = randomSerial();
      expect(s).toMatch(/^[4-7][0-9a-f]{31}$/);
    }
    expect(randomSerial()).not.toBe(randomSerial());
  });
});
