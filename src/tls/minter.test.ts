import { createPrivateKey, X509Certificate } from 'node:crypto';

import { generateCa, loadCa, type CertificateAuthority } from './ca';
import { InvalidCertificateNameError } from './certificate-name';
import { createCertificateMinter, DEFAULT_LEAF_LIFETIME_MS } from './minter';
import { x509 } from './x509';

let ca: CertificateAuthority;
let caCert: X509Certificate;

beforeAll(async () => {
  const made = await generateCa({ hostname: 'test' });
  ca = await loadCa({
    certificatePem: made.certificatePem,
    privateKeyPem: made.privateKeyPem,
    certificateSource: 'ca.crt',
    keySource: 'ca.key',
  });
  caCert = new X509Certificate(made.certificatePem);
});

function chainOf(pem: string): X509Certificate[] {
  return pem
    .split(/(?<=-----END CERTIFICATE-----\n)/)
    .filter((p) => p.includes('BEGIN'))
    .map((p) => new X509Certificate(p));
}

describe('createCertificateMinter', () => {
  it('mints a leaf for a host name that verifies against the CA, valid 5 min back to 15 min ahead', async () => {
    const now = Date.now();
    const minter = await createCertificateMinter({ ca, clock: () => now });
    const minted = await minter.mint('API.Example.com');
    const [leaf, issuer, ...rest] = chainOf(minted.certificateChainPem);
    expect(rest).toEqual([]);
    expect(issuer!.fingerprint256).toBe(caCert.fingerprint256);
    expect(leaf!.verify(caCert.publicKey)).toBe(true);
    expect(leaf!.checkIssued(caCert)).toBe(true);
    expect(leaf!.checkHost('api.example.com')).toBe('api.example.com');
    expect(leaf!.checkHost('other.example.com')).toBeUndefined();
    expect(leaf!.subjectAltName).toBe('DNS:api.example.com');
    expect(leaf!.ca).toBe(false);
    expect(leaf!.checkPrivateKey(createPrivateKey(minted.privateKeyPem))).toBe(true);
    const from = Date.parse(leaf!.validFrom);
    const to = Date.parse(leaf!.validTo);
    expect(Math.abs(from - (now - 5 * 60_000))).toBeLessThan(1000);
    expect(Math.abs(to - (now + DEFAULT_LEAF_LIFETIME_MS))).toBeLessThan(1000);
    expect(minted).toMatchObject({ name: 'api.example.com', issuedAt: now, notAfter: to, notBefore: from });
    expect(minted.serialNumber.toUpperCase()).toBe(leaf!.serialNumber);
  });

  it('puts the extensions a server leaf needs, and the CA key identifier as AKI', async () => {
    const minter = await createCertificateMinter({ ca });
    const leaf = new x509.X509Certificate((await minter.mint('a.example')).certificateChainPem);
    const basic = leaf.getExtension(x509.BasicConstraintsExtension)!;
    expect([basic.ca, basic.critical]).toEqual([false, true]);
    expect(leaf.getExtension(x509.KeyUsagesExtension)!.usages).toBe(x509.KeyUsageFlags.digitalSignature);
    expect(leaf.getExtension(x509.ExtendedKeyUsageExtension)!.usages).toEqual([
      x509.ExtendedKeyUsage.serverAuth,
    ]);
    expect(leaf.getExtension(x509.AuthorityKeyIdentifierExtension)!.keyId).toBe(ca.keyIdentifier);
    expect(leaf.publicKey.algorithm).toMatchObject({ name: 'ECDSA', namedCurve: 'P-256' });
    expect(leaf.serialNumber).toMatch(/^[4-7][0-9a-f]{31}$/);
  });

  it('gives an IP SNI an IP SAN', async () => {
    const minter = await createCertificateMinter({ ca });
    const [leaf] = chainOf((await minter.mint('192.0.2.7')).certificateChainPem);
    expect(leaf!.subjectAltName).toBe('IP Address:192.0.2.7');
    expect(leaf!.checkIP('192.0.2.7')).toBe('192.0.2.7');
    const [v6] = chainOf((await minter.mint('2001:db8::5')).certificateChainPem);
    expect(v6!.checkIP('2001:db8::5')).toBe('2001:db8::5');
  });

  it('leaves the subject empty and marks the SAN critical for a name longer than a CN may be', async () => {
    const minter = await createCertificateMinter({ ca });
    const name = `${'a'.repeat(60)}.example.com`;
    const leaf = new x509.X509Certificate((await minter.mint(name)).certificateChainPem);
    expect(leaf.subject).toBe('');
    expect(leaf.getExtension(x509.SubjectAlternativeNameExtension)!.critical).toBe(true);
    expect(new X509Certificate(leaf.toString('pem')).checkHost(name)).toBe(name);
  });

  it('shares one leaf key between names, and gives every mint its own serial', async () => {
    const minter = await createCertificateMinter({ ca });
    const a = await minter.mint('a.example');
    const b = await minter.mint('b.example');
    const a2 = await minter.mint('a.example');
    expect(a.privateKeyPem).toBe(b.privateKeyPem);
    expect(new Set([a.serialNumber, b.serialNumber, a2.serialNumber]).size).toBe(3);
    // Another minter, another key.
    const other = await createCertificateMinter({ ca });
    expect((await other.mint('a.example')).privateKeyPem).not.toBe(a.privateKeyPem);
  });

  it('never serves the CA key', async () => {
    const minter = await createCertificateMinter({ ca });
    const minted = await minter.mint('a.example');
    const leafKey = createPrivateKey(minted.privateKeyPem);
    expect(caCert.checkPrivateKey(leafKey)).toBe(false);
  });

  it('does not outlive the CA', async () => {
    const now = ca.notAfter.getTime() - 60_000;
    const minter = await createCertificateMinter({ ca, clock: () => now });
    const minted = await minter.mint('a.example');
    expect(minted.notAfter).toBe(ca.notAfter.getTime());
  });

  it.each(['*.example.com', 'example.com.', 'a_b.example', ''])('refuses %j', async (name) => {
    const minter = await createCertificateMinter({ ca });
    await expect(minter.mint(name)).rejects.toBeInstanceOf(InvalidCertificateNameError);
  });

  it('refuses an unusable lifetime', async () => {
    await expect(createCertificateMinter({ ca, lifetimeMs: 1000 })).rejects.toThrow(/lifetime/);
  });
});
