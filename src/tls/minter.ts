/**
 * Mints the leaf certificate Envoy presents to an agent for one SNI, signed by the interception CA.
 *
 * What a leaf looks like, and why:
 * - SAN = the name (an IP SNI gets an IP SAN): clients match the SAN, never the CN; the CN is set
 *   only when the name fits its 64-character limit, for tools that display it.
 * - Valid from 5 minutes ago (an agent whose clock is a little behind still accepts it) until the
 *   lifetime (15 minutes by default) from now: a leaf that leaks is useless soon, and a certificate
 *   that short needs no revocation.
 * - One ECDSA P-256 key for every leaf, made when the minter starts and never written anywhere: the
 *   key is what Envoy holds for every intercepted name anyway, and one key makes a mint a signature
 *   only (no key generation per name). Only this key is ever served, never the CA's.
 * - cA=false, keyUsage digitalSignature (an ECDSA key signs the handshake; it never encrypts a
 *   premaster secret), extKeyUsage serverAuth, authorityKeyIdentifier = the CA's key identifier so a
 *   client finds the issuer even when it trusts several CAs with one name.
 */
import { PortcullisError } from '../errors/portcullis-error';
import { randomSerial, type CertificateAuthority } from './ca';
import { parseCertificateName } from './certificate-name';
import { webcrypto, x509 } from './x509';

export interface MintedCertificate {
  /** The name as minted for (lower case). */
  readonly name: string;
  /** Leaf then CA, PEM. */
  readonly certificateChainPem: string;
  /** The shared leaf key, PKCS#8 PEM. */
  readonly privateKeyPem: string;
  /** Hex; unique per mint, so it also serves as the secret's version. */
  readonly serialNumber: string;
  /** When it was minted (ms since the epoch); the lifetime is counted from here, not from notBefore. */
  readonly issuedAt: number;
  readonly notBefore: number;
  readonly notAfter: number;
}

export interface CertificateMinter {
  /** Rejects with InvalidCertificateNameError for a name no certificate is minted for. */
  mint(name: string): Promise<MintedCertificate>;
  readonly lifetimeMs: number;
}

export interface CertificateMinterOptions {
  readonly ca: CertificateAuthority;
  /** Default 15 minutes. */
  readonly lifetimeMs?: number;
  /** Milliseconds since the epoch; default Date.now. */
  readonly clock?: () => number;
}

export const DEFAULT_LEAF_LIFETIME_MS = 15 * 60_000;
const BACKDATE_MS = 5 * 60_000;
/** A leaf shorter than this would be re-minted almost every handshake. */
const MIN_LIFETIME_MS = 60_000;
const MAX_LIFETIME_MS = 7 * 24 * 3600_000;
/** ub-common-name (RFC 5280 appendix A). */
const MAX_COMMON_NAME = 64;

type PublicKeyParam = Parameters<typeof x509.X509CertificateGenerator.create>[0]['publicKey'];

export async function createCertificateMinter(options: CertificateMinterOptions): Promise<CertificateMinter> {
  const { ca } = options;
  const lifetimeMs = options.lifetimeMs ?? DEFAULT_LEAF_LIFETIME_MS;
  if (!Number.isInteger(lifetimeMs) || lifetimeMs < MIN_LIFETIME_MS || lifetimeMs > MAX_LIFETIME_MS) {
    throw new PortcullisError(
      'config_invalid',
      `the leaf certificate lifetime must be a whole number of milliseconds between ${MIN_LIFETIME_MS} and ${MAX_LIFETIME_MS} (got ${lifetimeMs})`,
    );
  }
  const clock = options.clock ?? Date.now;

  const leafKeys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey));
  const privateKeyPem = pemLines(x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'));
  pkcs8.fill(0);
  const publicKey = leafKeys.publicKey as unknown as PublicKeyParam;

  // The same for every leaf: computed once.
  const issuer = ca.certificate.subjectName;
  const constant: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
    new x509.AuthorityKeyIdentifierExtension(ca.keyIdentifier, false),
    await x509.SubjectKeyIdentifierExtension.create(publicKey),
  ];
  const caChainPem = pemLines(ca.chainPem);

  return {
    lifetimeMs,
    async mint(text: string): Promise<MintedCertificate> {
      const parsed = parseCertificateName(text);
      const issuedAt = clock();
      // Never past the CA's own expiry: a client would reject the chain anyway.
      const notAfter = Math.min(issuedAt + lifetimeMs, ca.notAfter.getTime());
      const notBefore = issuedAt - BACKDATE_MS;
      const serialNumber = randomSerial();
      // With no subject the SAN must be critical (RFC 5280 §4.2.1.6).
      const withSubject = parsed.name.length <= MAX_COMMON_NAME;
      const leaf = await x509.X509CertificateGenerator.create({
        serialNumber,
        subject: withSubject ? [{ CN: [parsed.name] }] : [],
        issuer,
        // X.509 times have whole seconds: truncate so the values reported below are the ones encoded.
        notBefore: new Date(Math.floor(notBefore / 1000) * 1000),
        notAfter: new Date(Math.floor(notAfter / 1000) * 1000),
        publicKey,
        signingKey: ca.signingKey,
        signingAlgorithm: ca.signingAlgorithm,
        extensions: [
          new x509.SubjectAlternativeNameExtension([{ type: parsed.kind, value: parsed.name }], !withSubject),
          ...constant,
        ],
      });
      return {
        name: parsed.name,
        certificateChainPem: pemLines(leaf.toString('pem')) + caChainPem,
        privateKeyPem,
        serialNumber,
        issuedAt,
        notBefore: Math.floor(notBefore / 1000) * 1000,
        notAfter: Math.floor(notAfter / 1000) * 1000,
      };
    },
  };
}

/** PEM with `\n` line ends and one final line break, however the encoder wrote it. */
function pemLines(pem: string): string {
  const text = pem.replace(/\r\n/g, '\n');
  return text.endsWith('\n') ? text : `${text}\n`;
}
