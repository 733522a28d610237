/**
 * Certificates for TLS interception: how many leaves the minter signs per second (a fresh name each
 * time, sequential and 8 at a time, for an EC P-256 CA and an RSA-2048 CA) and what a name already
 * in the cache costs (µs per `get` hit), plus the same through a DeltaSecrets response encode.
 * Medians of several timed batches after a warm-up.
 */
import { generateKeyPairSync } from 'node:crypto';

import { generateCa, loadCa, type CertificateAuthority } from '../src/tls/ca';
import { createCertificateCache } from '../src/tls/certificate-cache';
import { createCertificateMinter } from '../src/tls/minter';
import { webcrypto, x509 } from '../src/tls/x509';
import { secretResource } from '../src/grpc/sds/secret-resource';
import { SECRET_TYPE_URL, secretDiscoveryServiceDefinition } from '../src/grpc/sds/sds-protos';

export interface SdsBenchRow {
  readonly measure: string;
  readonly value: string;
}

const SAMPLES = 7;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function ecCa(): Promise<CertificateAuthority> {
  const made = await generateCa({ hostname: 'bench' });
  return loadCa({
    certificatePem: made.certificatePem,
    privateKeyPem: made.privateKeyPem,
    certificateSource: 'bench',
    keySource: 'bench',
  });
}

type Keys = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'];

async function rsaCa(): Promise<CertificateAuthority> {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const keys = {
    privateKey: await webcrypto.subtle.importKey(
      'pkcs8',
      pair.privateKey.export({ type: 'pkcs8', format: 'der' }),
      algorithm,
      true,
      ['sign'],
    ),
    publicKey: await webcrypto.subtle.importKey(
      'spki',
      pair.publicKey.export({ type: 'spki', format: 'der' }),
      algorithm,
      true,
      ['verify'],
    ),
  } as unknown as Keys;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=bench RSA CA',
    keys,
    signingAlgorithm: algorithm,
    notAfter: new Date(Date.now() + 365 * 24 * 3600_000),
    extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
  });
  return loadCa({
    certificatePem: cert.toString('pem'),
    privateKeyPem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    certificateSource: 'bench',
    keySource: 'bench',
  });
}

/** Leaves per second over `count` fresh names, `parallel` mints in flight at a time. */
async function mintRate(ca: CertificateAuthority, count: number, parallel: number): Promise<number> {
  const minter = await createCertificateMinter({ ca });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      await minter.mint(`host-${i}.bench.example`);
    }
  };
  for (let i = 0; i < 50; i++) await minter.mint(`warm-${i}.bench.example`);
  const rates: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    next = 0;
    const start = process.hrtime.bigint();
    await Promise.all(Array.from({ length: parallel }, worker));
    rates.push(count / (Number(process.hrtime.bigint() - start) / 1e9));
  }
  return median(rates);
}

async function cachedGetMicros(ca: CertificateAuthority): Promise<{ get: number; encoded: number }> {
  const minter = await createCertificateMinter({ ca });
  const cache = createCertificateCache({ minter });
  const names = Array.from({ length: 100 }, (_, i) => `cached-${i}.bench.example`);
  for (const name of names) await cache.get(name);
  const serialize = secretDiscoveryServiceDefinition['DeltaSecrets']!.responseSerialize;
  const batch = 20_000;
  const gets: number[] = [];
  const encodes: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    let start = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) await cache.get(names[i % names.length]!);
    gets.push(Number(process.hrtime.bigint() - start) / 1e3 / batch);
    start = process.hrtime.bigint();
    for (let i = 0; i < batch / 10; i++) {
      const name = names[i % names.length]!;
      const material = await cache.get(name);
      serialize({
        type_url: SECRET_TYPE_URL,
        nonce: '1',
        resources: [{ name, version: material.serialNumber, resource: secretResource(name, material) }],
      });
    }
    encodes.push(Number(process.hrtime.bigint() - start) / 1e3 / (batch / 10));
  }
  return { get: median(gets), encoded: median(encodes) };
}

export async function runSdsBench(): Promise<SdsBenchRow[]> {
  const ec = await ecCa();
  const rsa = await rsaCa();
  const rows: SdsBenchRow[] = [];
  rows.push({
    measure: 'mint, EC P-256 CA, sequential (leaves/s)',
    value: (await mintRate(ec, 300, 1)).toFixed(0),
  });
  rows.push({
    measure: 'mint, EC P-256 CA, 8 in flight (leaves/s)',
    value: (await mintRate(ec, 300, 8)).toFixed(0),
  });
  rows.push({
    measure: 'mint, RSA-2048 CA, sequential (leaves/s)',
    value: (await mintRate(rsa, 200, 1)).toFixed(0),
  });
  const cached = await cachedGetMicros(ec);
  rows.push({ measure: 'cache hit: get (µs)', value: cached.get.toFixed(2) });
  rows.push({ measure: 'cache hit + DeltaDiscoveryResponse encode (µs)', value: cached.encoded.toFixed(2) });
  return rows;
}
