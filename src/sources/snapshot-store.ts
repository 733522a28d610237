/**
 * Holds the current Snapshot and replaces it atomically (STYLE.md habit 6).
 *
 * A reload reads and validates everything, compiles a complete new Snapshot, and only then swaps
 * one reference. Requests read `current()` once, so each sees one whole snapshot, old or new. An
 * invalid change keeps the last good snapshot and is reported in `status()`. Reloads never overlap:
 * a trigger during a reload schedules exactly one more, which reads the files now if any of the
 * triggers it stands for asked to (see `ReloadRequest`).
 */
import type { Issue, Resource } from '../policy/types';
import { compileSnapshot, type Snapshot } from '../compile/snapshot';

export interface ReloadRequest {
  /**
   * Use the policy files as the watcher last accepted them (settled and verified, policy-files.ts)
   * instead of reading them now. Startup and admin changes read them now.
   */
  readonly acceptedFiles?: boolean;
}

/** A policy file change that is seen but not loaded yet, for `/api/status`. */
export type ReloadState =
  | { readonly pending: false }
  | {
      readonly pending: true;
      /** `settling`: the files are still changing; `probable_partial_write`: they would empty the policy. */
      readonly code: 'settling' | 'probable_partial_write';
      readonly reason: string;
      readonly since: string;
      /** When it is loaded if nothing changes meanwhile. */
      readonly loadAfter: string;
    };

export interface LoadResult {
  readonly resources: readonly Resource[];
  readonly issues: readonly Issue[];
}

export type ReloadResult =
  | { readonly ok: true; readonly version: number; readonly warnings: readonly Issue[] }
  | { readonly ok: false; readonly issues: readonly Issue[]; readonly keptVersion: number };

export interface SnapshotStatus {
  readonly version: number;
  readonly loadedAt: string | null;
  readonly resources: Readonly<Record<string, number>>;
  readonly warnings: readonly Issue[];
  readonly reloads: number;
  readonly reloadErrors: number;
  /** Problems of the most recent failed reload, cleared by the next good one. */
  readonly lastError: { readonly at: string; readonly issues: readonly Issue[] } | null;
  /** A file change waiting to settle, or held as a probable partial write. */
  readonly reload: ReloadState;
}

export interface SnapshotStore {
  current(): Snapshot | undefined;
  reload(request?: ReloadRequest): Promise<ReloadResult>;
  status(): SnapshotStatus;
  /** Subscribe to reload results; returns the unsubscribe function. */
  onReload(listener: (result: ReloadResult) => void): () => void;
}

export function createSnapshotStore(deps: {
  load: (request: ReloadRequest) => Promise<LoadResult>;
  now?: () => Date;
  /** What the policy file watcher has pending (policy-files.ts); nothing when absent. */
  reloadState?: () => ReloadState;
}): SnapshotStore {
  const now = deps.now ?? (() => new Date());
  let snapshot: Snapshot | undefined;
  let loadedAt: string | null = null;
  let warnings: readonly Issue[] = [];
  let reloads = 0;
  let reloadErrors = 0;
  let lastError: SnapshotStatus['lastError'] = null;
  let running: Promise<ReloadResult> | undefined;
  let again: Promise<ReloadResult> | undefined;
  /** What the reload after the running one asks for: every trigger it stands for merged. */
  let queued: ReloadRequest | undefined;
  const listeners: ((r: ReloadResult) => void)[] = [];

  async function attempt(request: ReloadRequest): Promise<ReloadResult> {
    let result: ReloadResult;
    try {
      const { resources, issues } = await deps.load(request);
      const errors = issues.filter((i) => i.severity === 'error');
      if (errors.length > 0) {
        result = { ok: false, issues, keptVersion: snapshot?.version ?? 0 };
      } else {
        const at = now();
        const next = compileSnapshot(resources, {
          version: (snapshot?.version ?? 0) + 1,
          createdAt: at.toISOString(),
        });
        snapshot = next;
        loadedAt = at.toISOString();
        warnings = issues;
        lastError = null;
        result = { ok: true, version: next.version, warnings: issues };
      }
    } catch (err) {
      const issue: Issue = {
        code: 'POLICY_LOAD_FAILED',
        file: '',
        line: 0,
        path: '',
        message: err instanceof Error ? err.message : String(err),
        severity: 'error',
      };
      result = { ok: false, issues: [issue], keptVersion: snapshot?.version ?? 0 };
    }
    reloads++;
    if (!result.ok) {
      reloadErrors++;
      lastError = { at: now().toISOString(), issues: result.issues };
    }
    for (const l of listeners) l(result);
    return result;
  }

  function reload(request: ReloadRequest = {}): Promise<ReloadResult> {
    if (!running) {
      running = attempt(request).finally(() => {
        running = undefined;
      });
      return running;
    }
    // One more reload after the running one covers every trigger that arrives meanwhile; it uses
    // the accepted files only if every one of them asked for that.
    queued = { acceptedFiles: (queued?.acceptedFiles ?? true) && request.acceptedFiles === true };
    again ??= running.then(() => {
      const next = queued ?? {};
      again = undefined;
      queued = undefined;
      return reload(next);
    });
    return again;
  }

  return {
    current: () => snapshot,
    reload,
    onReload(l) {
      listeners.push(l);
      return () => {
        const i = listeners.indexOf(l);
        if (i >= 0) listeners.splice(i, 1);
      };
    },
    status: () => ({
      version: snapshot?.version ?? 0,
      loadedAt,
      resources: snapshot?.counts ?? {},
      warnings,
      reloads,
      reloadErrors,
      lastError,
      reload: deps.reloadState?.() ?? { pending: false },
    }),
  };
}
