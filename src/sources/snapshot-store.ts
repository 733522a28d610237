/**
 * Holds the current Snapshot and replaces it atomically: a decision never sees half a policy change.
 *
 * A reload reads every policy source (policy-source.ts) in list order, validates their documents as
 * one set (merged-policy.ts), compiles a complete new Snapshot, and only then swaps one reference.
 * Requests read `current()` once, so each sees one whole snapshot, old or new. An invalid change
 * keeps the last good snapshot and is reported in `status()`. Reloads never overlap: a trigger
 * during a reload schedules exactly one more, which stands for every trigger that arrived meanwhile
 * (see `ReloadRequest`).
 */
import type { Issue } from '../policy/types';
import { compileSnapshot, type Snapshot } from '../compile/snapshot';
import { mergeSources, readSources, type SourcePart } from './merged-policy';
import type { PolicySource, PolicySourceKind, SourceRead } from './policy-source';

export interface ReloadRequest {
  /**
   * The name of the source whose announced change this reload loads: that source may hand back
   * what it accepted (the file source's settled files) and the other sources are read now.
   * Absent (startup, an explicit reload): every source is read now.
   */
  readonly changed?: string;
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

/**
 * What a reload did. `changed` lists the kinds of the sources whose announced changes it loaded,
 * in source order (empty for startup and explicit reloads): the label of the reload metrics.
 */
export type ReloadResult = (
  | { readonly ok: true; readonly version: number; readonly warnings: readonly Issue[] }
  | { readonly ok: false; readonly issues: readonly Issue[]; readonly keptVersion: number }
) & { readonly changed: readonly PolicySourceKind[] };

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
  /** Reloads on every change a source announces, until the returned function is called. */
  watch(): () => void;
  /**
   * Every source read as for a check (policy-source.ts `SourceRead`), in list order: the parts a
   * candidate change is validated with. Nothing is accepted, compiled or swapped.
   */
  read(): Promise<readonly (SourcePart & { readonly source: PolicySource })[]>;
}

/** The triggers one reload stands for. */
interface Triggers {
  /** Names of the sources whose announced changes it loads. */
  readonly changed: ReadonlySet<string>;
  /** Startup or an explicit reload is among them: every source is read now. */
  readonly explicit: boolean;
}

export function createSnapshotStore(deps: {
  /** In order: on a name defined twice, the earlier source keeps it (merged-policy.ts). */
  sources: readonly PolicySource[];
  now?: () => Date;
}): SnapshotStore {
  const sources = deps.sources;
  const names = new Set(sources.map((s) => s.name));
  if (names.size !== sources.length) throw new Error('every policy source needs a name of its own');
  const now = deps.now ?? (() => new Date());
  let snapshot: Snapshot | undefined;
  let loadedAt: string | null = null;
  let warnings: readonly Issue[] = [];
  let reloads = 0;
  let reloadErrors = 0;
  let lastError: SnapshotStatus['lastError'] = null;
  let running: Promise<ReloadResult> | undefined;
  let again: Promise<ReloadResult> | undefined;
  /** What the reload after the running one stands for: every trigger that arrived meanwhile. */
  let queued: Triggers | undefined;
  const listeners: ((r: ReloadResult) => void)[] = [];

  /** A source hands back what it accepted only when the reload is for its own changes alone. */
  const readFor =
    (triggers: Triggers) =>
    (source: PolicySource): SourceRead =>
      !triggers.explicit && triggers.changed.size === 1 && triggers.changed.has(source.name)
        ? 'changed'
        : 'reload';

  async function attempt(triggers: Triggers): Promise<ReloadResult> {
    const changed = sources.filter((s) => triggers.changed.has(s.name)).map((s) => s.kind);
    const kinds = changed.filter((kind, i) => changed.indexOf(kind) === i);
    let result: ReloadResult;
    try {
      const { resources, issues } = mergeSources(await readSources(sources, readFor(triggers)));
      const errors = issues.filter((i) => i.severity === 'error');
      if (errors.length > 0) {
        result = { ok: false, issues, keptVersion: snapshot?.version ?? 0, changed: kinds };
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
        result = { ok: true, version: next.version, warnings: issues, changed: kinds };
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
      result = { ok: false, issues: [issue], keptVersion: snapshot?.version ?? 0, changed: kinds };
    }
    reloads++;
    if (!result.ok) {
      reloadErrors++;
      lastError = { at: now().toISOString(), issues: result.issues };
    }
    for (const l of listeners) l(result);
    return result;
  }

  function start(triggers: Triggers): Promise<ReloadResult> {
    if (!running) {
      running = attempt(triggers).finally(() => {
        running = undefined;
      });
      return running;
    }
    // One more reload after the running one covers every trigger that arrives meanwhile.
    queued = {
      changed: new Set([...(queued?.changed ?? []), ...triggers.changed]),
      explicit: (queued?.explicit ?? false) || triggers.explicit,
    };
    again ??= running.then(() => {
      const next = queued!;
      again = undefined;
      queued = undefined;
      return start(next);
    });
    return again;
  }

  return {
    current: () => snapshot,
    reload: (request = {}) => start(request.changed === undefined ? EXPLICIT : triggerOf(request.changed)),
    onReload(l) {
      listeners.push(l);
      return () => {
        const i = listeners.indexOf(l);
        if (i >= 0) listeners.splice(i, 1);
      };
    },
    watch() {
      const stops = sources.map((s) => s.onChange(() => void start(triggerOf(s.name))));
      return () => {
        for (const stop of stops.splice(0)) stop();
      };
    },
    read: () => readSources(sources, () => 'check'),
    status: () => ({
      version: snapshot?.version ?? 0,
      loadedAt,
      resources: snapshot?.counts ?? {},
      warnings,
      reloads,
      reloadErrors,
      lastError,
      reload: pendingChange(sources),
    }),
  };
}

const EXPLICIT: Triggers = { changed: new Set(), explicit: true };

function triggerOf(name: string): Triggers {
  return { changed: new Set([name]), explicit: false };
}

/** The first source with a change waiting to load, or none. */
function pendingChange(sources: readonly PolicySource[]): ReloadState {
  for (const s of sources) {
    const state = s.pending?.();
    if (state?.pending === true) return state;
  }
  return { pending: false };
}
