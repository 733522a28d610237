/**
 * Drives the policy files' checks (policy-files.ts). File-system events give a quick reaction; a
 * periodic check catches what events miss (editors that rename, network file systems, directories
 * created later); and while a change is settling or held, one more check is timed for when its
 * window ends. `onChange` is called once per accepted change.
 */
import { watch, type FSWatcher } from 'node:fs';
import type { PolicyFiles } from './policy-files';

export interface PolicyWatcher {
  close(): void;
}

export function watchPolicyPaths(
  paths: readonly string[],
  files: Pick<PolicyFiles, 'check'>,
  onChange: () => void,
  options: { intervalMs: number; debounceMs?: number; onError?: (err: unknown) => void },
): PolicyWatcher {
  const debounceMs = options.debounceMs ?? 100;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let checking = false;
  let again = false;

  const check = async (): Promise<void> => {
    if (closed) return;
    if (checking) {
      again = true; // a trigger during a check gets a check of its own afterwards
      return;
    }
    checking = true;
    try {
      const result = await files.check();
      if (closed) return;
      if (result.changed) onChange();
      if (result.recheckInMs !== undefined) schedule(result.recheckInMs);
    } catch (err) {
      options.onError?.(err);
    } finally {
      checking = false;
    }
    if (again) {
      again = false;
      schedule(debounceMs);
    }
  };
  /** One pending timed check; a sooner request replaces a later one. */
  let due = Infinity;
  const schedule = (ms: number): void => {
    if (closed) return;
    const at = Date.now() + ms;
    if (timer !== undefined && due <= at) return;
    if (timer !== undefined) clearTimeout(timer);
    due = at;
    timer = setTimeout(() => {
      timer = undefined;
      due = Infinity;
      void check();
    }, ms);
    timer.unref();
  };

  const watchers: FSWatcher[] = [];
  for (const p of paths) {
    try {
      const w = watch(p, { recursive: true, persistent: false }, () => schedule(debounceMs));
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
