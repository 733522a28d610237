/**
 * The policy files as a PolicySource. What a reload loads, and when, is policy-files.ts's: a
 * change is announced only once it has settled and been verified, and a change that would empty
 * the policy is held for a grace window (`pending()` shows both on `/api/status`). The watcher
 * (policy-watcher.ts) runs while anything is subscribed to `onChange`.
 */
import { readFileDocuments } from './merged-policy';
import type { PolicyFiles } from './policy-files';
import type { PolicySource } from './policy-source';
import { watchPolicyPaths, type PolicyWatcher } from './policy-watcher';

export const FILE_SOURCE_NAME = 'policy files';

export interface FileSourceOptions {
  /** How often the files are checked besides file-system events. */
  readonly intervalMs: number;
  readonly onError?: (err: unknown) => void;
}

export function createFileSource(
  paths: readonly string[],
  files: PolicyFiles,
  options: FileSourceOptions,
): PolicySource {
  const listeners = new Set<() => void>();
  let watcher: PolicyWatcher | undefined;
  const announce = (): void => {
    for (const l of [...listeners]) l();
  };

  return {
    name: FILE_SOURCE_NAME,
    kind: 'file',
    documents(read) {
      switch (read) {
        case 'changed':
          return files.accepted();
        case 'reload':
          return files.readNow();
        case 'check':
          // As they are now, unverified: a check must not accept a change the watcher has not
          // announced, or that change would never be loaded.
          return readFileDocuments(paths);
      }
    },
    onChange(onChange) {
      const listener = (): void => onChange();
      listeners.add(listener);
      watcher ??= watchPolicyPaths(paths, files, announce, {
        intervalMs: options.intervalMs,
        ...(options.onError === undefined ? {} : { onError: options.onError }),
      });
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) {
          watcher?.close();
          watcher = undefined;
        }
      };
    },
    pending: () => files.status(),
  };
}
