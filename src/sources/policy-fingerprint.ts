/**
 * A cheap summary of the policy paths that changes whenever a file the loader could read changes:
 * every file's path, size, modification time and inode, in sorted directory order. Reading the
 * files is only trusted when this is the same before and after (see policy-files.ts).
 *
 * It visits what `readPolicyPaths` (read-policy-files.ts) reads and more: every non-dot entry, not
 * only `*.yaml`/`*.json`. `stat` follows symlinks, so a Kubernetes ConfigMap whose `..data` link
 * is swapped shows the new files' sizes, times and inodes.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Deeper than any sensible policy tree; a symlink loop stops here. */
const MAX_DEPTH = 16;

export async function fingerprintPaths(paths: readonly string[]): Promise<string> {
  const parts: string[] = [];
  async function visit(p: string, depth: number): Promise<void> {
    if (depth > MAX_DEPTH) return;
    try {
      const s = await stat(p);
      if (s.isDirectory()) {
        const entries = (await readdir(p)).filter((e) => !e.startsWith('.')).sort();
        parts.push(`${p}/`);
        for (const e of entries) await visit(join(p, e), depth + 1);
      } else {
        parts.push(`${p}:${s.size}:${s.mtimeMs}:${s.ino}`);
      }
    } catch {
      parts.push(`${p}:missing`);
    }
  }
  for (const p of paths) await visit(p, 0);
  return parts.join('|');
}
