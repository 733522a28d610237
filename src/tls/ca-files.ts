/**
 * The CA on disk: `portcullis ca init DIR` writes it, `serve --tls-ca-cert/--tls-ca-key` reads it.
 * The only file access of src/tls.
 */
import { constants } from 'node:fs';
import { mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { join, resolve } from 'node:path';

import { PortcullisError } from '../errors/portcullis-error';
import { generateCa, loadCa, type CertificateAuthority } from './ca';

export const CA_CERT_FILE = 'ca.crt';
export const CA_KEY_FILE = 'ca.key';
/** A CA certificate or key is a few kilobytes; refuse to read a file far larger than that. */
const MAX_FILE_BYTES = 1024 * 1024;

export interface CreatedCa {
  readonly certificateFile: string;
  readonly keyFile: string;
  readonly subject: string;
  readonly notAfter: Date;
}

/**
 * Makes a new CA in `dir` (created if missing, mode 0700): `ca.crt` (0644, what agents trust) and
 * `ca.key` (0600, only for Portcullis). Existing files are never overwritten: replacing a CA that
 * agents already trust would break every one of them, so that takes a deliberate `rm`.
 */
export async function createCa(
  dir: string,
  options: { hostname?: string; now?: number } = {},
): Promise<CreatedCa> {
  const directory = resolve(dir);
  const certificateFile = join(directory, CA_CERT_FILE);
  const keyFile = join(directory, CA_KEY_FILE);
  try {
    await mkdir(directory, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new PortcullisError('usage', `cannot create the directory ${directory}: ${reason(err)}`);
  }
  for (const file of [certificateFile, keyFile]) {
    if (await exists(file)) {
      throw new PortcullisError(
        'already_exists',
        `${file} already exists; a CA is never overwritten (agents may trust it). Remove ${CA_CERT_FILE} and ${CA_KEY_FILE} first, or choose another directory`,
      );
    }
  }

  const ca = await generateCa({
    hostname: options.hostname ?? osHostname(),
    ...optional('now', options.now),
  });
  // The key first: if the certificate cannot be written, the key is removed again.
  await writeNew(keyFile, ca.privateKeyPem, 0o600);
  try {
    await writeNew(certificateFile, ca.certificatePem, 0o644);
  } catch (err) {
    await unlink(keyFile).catch(() => undefined);
    throw err;
  }
  return { certificateFile, keyFile, subject: ca.subject, notAfter: ca.notAfter };
}

/** Reads and checks a CA (ca.ts's loadCa); errors name the file and say how to fix it. */
export async function loadCaFiles(options: {
  certificateFile: string;
  keyFile: string;
  now?: number;
}): Promise<CertificateAuthority> {
  const certificatePem = await readSmall(options.certificateFile, 'the CA certificate');
  const privateKeyPem = await readSmall(options.keyFile, 'the CA key');
  return loadCa({
    certificatePem,
    privateKeyPem,
    certificateSource: options.certificateFile,
    keySource: options.keyFile,
    ...optional('now', options.now),
  });
}

async function readSmall(file: string, what: string): Promise<string> {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new PortcullisError('config_invalid', `${what} ${file} is not a file`);
    if (info.size > MAX_FILE_BYTES) {
      throw new PortcullisError('config_invalid', `${what} ${file} is larger than ${MAX_FILE_BYTES} bytes`);
    }
    return await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof PortcullisError) throw err;
    throw new PortcullisError('config_invalid', `cannot read ${what} ${file}: ${reason(err)}`);
  }
}

/** O_EXCL: fails rather than replace a file that appeared meanwhile. */
async function writeNew(file: string, text: string, mode: number): Promise<void> {
  let handle;
  try {
    handle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new PortcullisError('already_exists', `${file} already exists; a CA is never overwritten`);
    }
    throw new PortcullisError('usage', `cannot write ${file}: ${reason(err)}`);
  }
  try {
    await handle.writeFile(text, 'utf8');
    // The umask may have narrowed the mode at creation; set it exactly.
    await handle.chmod(mode);
  } finally {
    await handle.close();
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new PortcullisError('usage', `cannot check ${file}: ${reason(err)}`);
  }
}

/** The system's reason (code and text), never file contents. */
function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code !== undefined ? `${e.code} (${e.message.split(',')[0]})` : String(e.message ?? err);
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}
