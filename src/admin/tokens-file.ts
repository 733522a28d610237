/**
 * `--tokens FILE`: the admin API's bearer tokens as a YAML list of `{name, role, sha256}`. Only
 * digests are written down (the same rule as agent keys: `portcullis hash-key` prints one), so the
 * file can live in Git or a ConfigMap without leaking a token.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ROLES, type Role } from '../store/token-store';
import { problemsError } from '../errors/portcullis-error';

export interface FileToken {
  readonly name: string;
  readonly role: Role;
  readonly sha256: string;
}

const SHA256_HEX = /^[0-9a-f]{64}$/i;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export function readTokensFile(file: string): FileToken[] {
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw problemsError('config_invalid', [`${file}: ${err instanceof Error ? err.message : String(err)}`]);
  }
  return parseTokens(file, parsed ?? []);
}

export function parseTokens(file: string, parsed: unknown): FileToken[] {
  const problems: string[] = [];
  if (!Array.isArray(parsed)) {
    throw problemsError('config_invalid', [`${file}: expected a list of {name, role, sha256} entries`]);
  }
  const tokens: FileToken[] = [];
  const names = new Set<string>();
  const digests = new Set<string>();
  parsed.forEach((entry: unknown, i) => {
    const at = `${file}: [${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      problems.push(`${at}: expected a map {name, role, sha256}`);
      return;
    }
    const { name, role, sha256, ...rest } = entry as Record<string, unknown>;
    for (const key of Object.keys(rest)) {
      problems.push(
        key === 'token' || key === 'key'
          ? `${at}.${key}: a token is never written in clear; list its SHA-256 as \`sha256\` (portcullis hash-key prints it)`
          : `${at}.${key}: unknown field; expected name, role, sha256`,
      );
    }
    if (typeof name !== 'string' || !NAME.test(name)) {
      problems.push(`${at}.name: a name of letters, digits, '.', '_' or '-' (at most 63) is required`);
    } else if (names.has(name)) problems.push(`${at}.name: ${name} is listed twice`);
    if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) {
      problems.push(`${at}.role: must be one of ${ROLES.join(', ')}`);
    }
    if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256)) {
      problems.push(`${at}.sha256: must be the 64-hex-digit SHA-256 of the token`);
    } else if (digests.has(sha256.toLowerCase()))
      problems.push(`${at}.sha256: the same token is listed twice`);
    if (typeof name === 'string' && typeof role === 'string' && typeof sha256 === 'string') {
      names.add(name);
      digests.add(sha256.toLowerCase());
      tokens.push({ name, role: role as Role, sha256: sha256.toLowerCase() });
    }
  });
  if (problems.length > 0) throw problemsError('config_invalid', problems);
  return tokens;
}
