/**
 * The certificate authority that signs intercepted TLS certificates: checked once when loaded, then
 * held as a non-extractable signing key. No file access here (ca-files.ts reads and writes the
 * files); the PEM text comes in, a signer goes out.
 *
 * The CA key must never leave this object: it is imported into WebCrypto as non-extractable, the
 * DER copy made on the way is wiped, no error message quotes the key file's contents, and the object
 * prints as a summary (toJSON and util.inspect) so a stray log line cannot carry it.
 */
import {
  createPrivateKey,
  randomBytes,
  X509Certificate as NodeCertificate,
  type KeyObject,
} from 'node:crypto';
import { inspect } from 'node:util';

import { PortcullisError } from '../errors/portcullis-error';
import { webcrypto, x509 } from './x509';

type CryptoKey = webcrypto.CryptoKey;

/** What a certificate is signed with: ECDSA with SHA-256 for a P-256 key, PKCS#1 v1.5 for RSA. */
export type SigningAlgorithm =
  | { readonly name: 'ECDSA'; readonly hash: 'SHA-256' }
  | { readonly name: 'RSASSA-PKCS1-v1_5'; readonly hash: 'SHA-256' };

export interface CertificateAuthority {
  /** The CA certificate, for the issuer name and the chain Envoy serves. */
  readonly certificate: x509.X509Certificate;
  /** The CA certificate (and any intermediates given after it) as PEM, appended to every chain. */
  readonly chainPem: string;
  readonly signingKey: CryptoKey;
  readonly signingAlgorithm: SigningAlgorithm;
  /** Hex key identifier: the CA's subjectKeyIdentifier, which leaves name as authorityKeyIdentifier. */
  readonly keyIdentifier: string;
  readonly notAfter: Date;
  /** One line for logs: subject, key type, expiry. Never the key. */
  readonly description: string;
}

export interface LoadCaInput {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  /** Where each came from (a file path, a flag), for error messages. */
  readonly certificateSource: string;
  readonly keySource: string;
  /** Milliseconds since the epoch; defaults to now. */
  readonly now?: number;
}

const FIX = 'create a CA with `portcullis ca init DIR`, or give a CA certificate and its key';
const RSA_MIN_BITS = 2048;

function invalid(message: string): PortcullisError {
  return new PortcullisError('config_invalid', message);
}

/**
 * Checks a CA certificate and its key (PKCS#8 preferred; SEC1 and PKCS#1 PEM are accepted too) and
 * returns the signer. Refused: no certificate, not a CA (basicConstraints cA must be true, keyUsage
 * if present must allow keyCertSign), outside its validity, a key that does not match it, an
 * encrypted key, a key that is neither EC P-256 nor RSA of at least 2048 bits.
 */
export async function loadCa(input: LoadCaInput): Promise<CertificateAuthority> {
  const now = input.now ?? Date.now();
  const { certificateSource: certSource, keySource } = input;

  const certificates = parseCertificates(input.certificatePem, certSource);
  const certificate = certificates[0]!;
  const nodeCertificate = new NodeCertificate(Buffer.from(certificate.rawData));

  const basic = certificate.getExtension(x509.BasicConstraintsExtension);
  if (basic === null || !basic.ca) {
    throw invalid(
      `the CA certificate ${certSource} is not a CA: its basicConstraints must say cA=true (${FIX})`,
    );
  }
  const usage = certificate.getExtension(x509.KeyUsagesExtension);
  if (usage !== null && (usage.usages & x509.KeyUsageFlags.keyCertSign) === 0) {
    throw invalid(
      `the CA certificate ${certSource} may not sign certificates: its keyUsage lacks keyCertSign (${FIX})`,
    );
  }
  if (now < certificate.notBefore.getTime()) {
    throw invalid(
      `the CA certificate ${certSource} is not valid until ${certificate.notBefore.toISOString()}; check this host's clock or use another CA`,
    );
  }
  if (now > certificate.notAfter.getTime()) {
    throw invalid(
      `the CA certificate ${certSource} expired on ${certificate.notAfter.toISOString()}; ${FIX}`,
    );
  }

  const keyObject = parsePrivateKey(input.privateKeyPem, keySource);
  if (!nodeCertificate.checkPrivateKey(keyObject)) {
    throw invalid(
      `the key ${keySource} does not belong to the CA certificate ${certSource}; give the key the certificate was made with`,
    );
  }
  const signingAlgorithm = signingAlgorithmOf(keyObject, keySource);
  const signingKey = await importSigningKey(keyObject, signingAlgorithm);

  const ski = certificate.getExtension(x509.SubjectKeyIdentifierExtension);
  const keyIdentifier =
    ski !== null ? ski.keyId : (await x509.SubjectKeyIdentifierExtension.create(certificate.publicKey)).keyId;
  const chainPem = certificates.map((c) => c.toString('pem')).join('\n') + '\n';
  const description = `${certificate.subject} (${describeKey(keyObject)}, expires ${certificate.notAfter.toISOString()})`;

  const ca: CertificateAuthority = {
    certificate,
    chainPem,
    signingKey,
    signingAlgorithm,
    keyIdentifier,
    notAfter: certificate.notAfter,
    description,
  };
  // A logger serialising the object, or a console.log of it, shows the summary and never the key.
  Object.defineProperty(ca, 'toJSON', { value: () => ({ ca: description }), enumerable: false });
  Object.defineProperty(ca, inspect.custom, {
    value: () => `CertificateAuthority ${description}`,
    enumerable: false,
  });
  return ca;
}

function parseCertificates(pem: string, source: string): x509.X509Certificate[] {
  let blocks: ArrayBuffer[];
  try {
    blocks = pem.includes('-----BEGIN CERTIFICATE-----') ? x509.PemConverter.decode(pem) : [];
  } catch {
    blocks = [];
  }
  if (blocks.length === 0) {
    throw invalid(`${source} holds no PEM certificate (-----BEGIN CERTIFICATE-----); ${FIX}`);
  }
  try {
    return blocks.map((der) => new x509.X509Certificate(der));
  } catch {
    throw invalid(`${source} holds a PEM block that is not an X.509 certificate; ${FIX}`);
  }
}

/** The key's own parse errors are not passed on: nothing about the key file's contents is quoted. */
function parsePrivateKey(pem: string, source: string): KeyObject {
  if (!pem.includes('PRIVATE KEY-----')) {
    throw invalid(`${source} holds no PEM private key (-----BEGIN PRIVATE KEY-----); ${FIX}`);
  }
  if (pem.includes('ENCRYPTED PRIVATE KEY') || pem.includes('Proc-Type: 4,ENCRYPTED')) {
    throw invalid(
      `the key ${source} is encrypted; give it unencrypted (openssl pkey -in KEY -out ca.key) and protect the file with mode 0600 instead`,
    );
  }
  try {
    return createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw invalid(
      `the key ${source} could not be read as a PEM private key (PKCS#8, SEC1 or PKCS#1); ${FIX}`,
    );
  }
}

function signingAlgorithmOf(key: KeyObject, source: string): SigningAlgorithm {
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    return { name: 'ECDSA', hash: 'SHA-256' };
  }
  if (key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= RSA_MIN_BITS) {
    return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  }
  throw invalid(
    `the key ${source} is ${describeKey(key)}; a CA key must be EC P-256 or RSA of at least ${RSA_MIN_BITS} bits`,
  );
}

function describeKey(key: KeyObject): string {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'ec') return `EC ${details?.namedCurve ?? 'unknown curve'}`;
  if (key.asymmetricKeyType === 'rsa') return `RSA ${details?.modulusLength ?? '?'} bits`;
  return `a ${key.asymmetricKeyType ?? 'unknown'} key`;
}

async function importSigningKey(key: KeyObject, algorithm: SigningAlgorithm): Promise<CryptoKey> {
  const der = key.export({ type: 'pkcs8', format: 'der' });
  try {
    const params =
      algorithm.name === 'ECDSA'
        ? { name: 'ECDSA', namedCurve: 'P-256' }
        : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    return await webcrypto.subtle.importKey('pkcs8', der, params, false, ['sign']);
  } finally {
    der.fill(0);
  }
}

// ---- a new CA ----------------------------------------------------------------------------------

export interface NewCa {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  readonly subject: string;
  readonly notAfter: Date;
}

const TEN_YEARS = 10;
/** Same backdating as the leaves, so a client whose clock is a little behind accepts a fresh CA. */
const BACKDATE_MS = 5 * 60_000;

/**
 * A new interception CA: ECDSA P-256, valid 10 years, basicConstraints critical cA with pathLen 0
 * (it signs leaves only, never another CA), keyUsage keyCertSign and cRLSign. The CN says which host
 * made it and when, so someone who finds it in a trust store can tell where it came from.
 */
export async function generateCa(options: { hostname: string; now?: number }): Promise<NewCa> {
  const now = new Date(options.now ?? Date.now());
  const notAfter = new Date(now.getTime());
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + TEN_YEARS);
  const date = now.toISOString().slice(0, 10);
  const host = options.hostname.replace(/[^A-Za-z0-9.-]/g, '_').slice(0, 40);
  const commonName = `Portcullis interception CA (${host}, ${date})`;

  const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ CN: [commonName] }],
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter,
    keys: keys as unknown as CryptoKeyPairParam,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as unknown as PublicKeyParam),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  try {
    return {
      certificatePem: certificate.toString('pem') + '\n',
      privateKeyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') + '\n',
      subject: certificate.subject,
      notAfter: certificate.notAfter,
    };
  } finally {
    pkcs8.fill(0);
  }
}

type CryptoKeyPairParam = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'];
type PublicKeyParam = Parameters<typeof x509.SubjectKeyIdentifierExtension.create>[0];

/**
 * A random 16-byte serial, positive and minimally encoded: the top bit is cleared (DER integers are
 * signed) and the next one set, so the first byte is never zero (a leading zero byte is not DER).
 */
export function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return bytes.toString('hex');
}
