/**
 * Notices changes under the policy paths. File-system events give a quick reaction; a periodic
 * fingerprint (every file's path, size and mtime) catches what events miss (editors that rename,
 * network file systems, directories created later). Changes are debounced into one callback.
 */
import { watch, type FSWatcher } from 'node:fs';
import { stat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface PolicyWatcher {
  close(): void;
}

async function fingerprint(paths: readonly string[]): Promise<string> {
  const parts: string[] = [];
  async function visit(p: string, depth: number): Promise<void> {
    if (depth > 16) return;
    try {
      const s = await stat(p);
      if (s.isDirectory()) {
        const entries = (await readdir(p)).filter((e) => !e.startsWith('.')).sort();
        for (const e of entries) await visit(join(p, e), depth + 1);
      } else {
        parts.push(`${p}:${s.size}:${s.mtimeMs}`);
      }
    } catch {
      parts.push(`${p}:missing`);
    }
  }
  for (const p of paths) await visit(p, 0);
  return parts.join('|');
}

export async function watchPolicyPaths(
  paths: readonly string[],
  onChange: () => void,
  options: { intervalMs: number; debounceMs?: number },
): Promise<PolicyWatcher> {
  const debounceMs = options.debounceMs ?? 100;
  let last = await fingerprint(paths);
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let checking = false;

  const check = async (): Promise<void> => {
    if (closed || checking) return;
    checking = true;
    try {
      const next = await fingerprint(paths);
      if (next !== last) {
        last = next;
        if (!closed) onChange();
      }
    } finally {
      checking = false;
    }
  };
  const schedule = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void check(), debounceMs);
  };

  const watchers: FSWatcher[] = [];
  for (const p of paths) {
    try {
      const w = watch(p, { recursive: true, persistent: false }, schedule);
      w.on('error', () => undefined); // the poll below still covers this path
      watchers.push(w);
    } catch {
      // Path missing or not watchable: polling alone covers it.
    }
  }
  const poll = setInterval(() => void check(), options.intervalMs);
  poll.unref();

  return {
    close() {
      closed = true;
      clearInterval(poll);
      if (timer) clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}
