/**
 * The file-system side of policy loading: paths → file texts → validated resources.
 *
 * Kept out of `policy/` so that parsing and validation stay pure and can be fed from the admin
 * store or a Kubernetes watch the same way. Directory order is sorted, so the same tree always
 * yields the same issue order and the same "first definition wins" for duplicates.
 */
import { readFile, readdir, realpath, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join } from 'node:path';

import { parseDocuments } from '../policy/documents';
import type { RawDocument } from '../policy/documents';
import type { IssueCode } from '../policy/issues';
import { fileOrigin } from '../policy/origin';
import type { Issue, Resource } from '../policy/types';
import { validateDocuments } from '../policy/validate';

export interface PolicyFile {
  readonly file: string;
  readonly text: string;
}

const POLICY_EXTENSIONS = ['.yaml', '.yml', '.json'];

/**
 * Each path is a file (read whatever its extension: the user named it) or a directory, walked
 * recursively for `*.yaml`, `*.yml` and `*.json`. Dotfiles and dot-directories are skipped, which
 * also skips the `..data` and `..2024_…` entries of a mounted Kubernetes ConfigMap, whose visible
 * files are symlinks into them; symlinks are followed, each real file is read once.
 */
export async function readPolicyPaths(
  paths: readonly string[],
): Promise<{ files: PolicyFile[]; issues: Issue[] }> {
  const files: PolicyFile[] = [];
  const issues: Issue[] = [];
  const seen = new Set<string>();

  const readOne = async (file: string): Promise<void> => {
    try {
      const real = await realpath(file);
      if (seen.has(real)) return;
      seen.add(real);
      files.push({ file, text: await readFile(file, 'utf8') });
    } catch (error: unknown) {
      issues.push(fileIssue('POLICY_FILE_UNREADABLE', file, `cannot read policy file: ${describe(error)}`));
    }
  };

  const walk = async (dir: string, visited: Set<string>): Promise<void> => {
    let entries: string[];
    try {
      const real = await realpath(dir);
      if (visited.has(real)) return;
      visited.add(real);
      entries = (await readdir(dir)).filter((name) => !name.startsWith('.')).sort(byCodePoint);
    } catch (error: unknown) {
      issues.push(
        fileIssue('POLICY_FILE_UNREADABLE', dir, `cannot read policy directory: ${describe(error)}`),
      );
      return;
    }
    for (const name of entries) {
      const child = join(dir, name);
      const info = await stat(child).catch(() => undefined);
      if (info === undefined) continue; // a dangling symlink: nothing to load
      if (info.isDirectory()) await walk(child, visited);
      else if (info.isFile() && POLICY_EXTENSIONS.some((ext) => name.toLowerCase().endsWith(ext))) {
        await readOne(child);
      }
    }
  };

  for (const path of paths) {
    let info: Stats;
    try {
      info = await stat(path);
    } catch (error: unknown) {
      issues.push(
        (error as NodeJS.ErrnoException).code === 'ENOENT'
          ? fileIssue('POLICY_FILE_NOT_FOUND', path, 'no such file or directory', 'check the policy path')
          : fileIssue('POLICY_FILE_UNREADABLE', path, `cannot read policy path: ${describe(error)}`),
      );
      continue;
    }
    if (info.isDirectory()) await walk(path, new Set());
    else await readOne(path);
  }
  return { files, issues };
}

/**
 * Reads, parses and validates everything under `paths` as one policy set (references may cross
 * files). Issues come in file order, then line order within a file.
 */
export async function loadPolicies(
  paths: readonly string[],
): Promise<{ resources: Resource[]; issues: Issue[] }> {
  const read = await readPolicyPaths(paths);
  const docs: RawDocument[] = [];
  const issues: Issue[] = [...read.issues];
  for (const { file, text } of read.files) {
    const parsed = parseDocuments(file, text);
    docs.push(...parsed.docs);
    issues.push(...parsed.issues);
  }
  const validated = validateDocuments(docs);
  issues.push(...validated.issues);

  const order = new Map(read.files.map(({ file }, index) => [file, index]));
  const rank = (issue: Issue): number => order.get(issue.file) ?? -1;
  issues.sort((a, b) => rank(a) - rank(b) || a.line - b.line);
  return { resources: validated.resources, issues };
}

function fileIssue(code: IssueCode, file: string, message: string, fix?: string): Issue {
  const issue: Issue = {
    code,
    file,
    origin: fileOrigin(file, 0),
    line: 0,
    path: '',
    message,
    severity: 'error',
  };
  return fix === undefined ? issue : { ...issue, fix };
}

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return error instanceof Error ? error.message : String(error);
}

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
