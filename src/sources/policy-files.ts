/**
 * The policy files as the snapshot may use them: read only once they have stopped changing, checked
 * to be what was read, and never replaced by an empty set on the strength of one look.
 *
 * A policy change written in steps (a route first, the deny policy that limits it a moment later)
 * or a file truncated before it is rewritten must not be enforced half-done. So a change seen by the
 * watcher is accepted only when
 *
 *   1. its fingerprint (policy-fingerprint.ts) is unchanged on two consecutive checks at least
 *      `settleMs` apart (the first sighting starts the window; any change restarts it);
 *   2. the fingerprint after reading is still that one (a write during the read is not loaded);
 *   3. it does not drop every document the accepted files held (all files empty, a directory
 *      emptied), unless that state has lasted `emptyGraceMs`: a probable partial write is held.
 *
 * Reads for an explicit reload (startup, an admin change) do not wait for a window, but are checked
 * the same way (2 and 3). The first read is accepted as it is: startup is immediate. Everything
 * runs on one serial queue, so an older read never replaces a newer accepted one.
 */
import { createSerialQueue } from '../store/serial-queue';
import type { Logger } from '../telemetry/logger';
import { readFileDocuments, type FileDocuments } from './merged-policy';
import { fingerprintPaths } from './policy-fingerprint';
import type { ReloadState } from './snapshot-store';

export interface PolicyFilesOptions {
  /** How long the files must keep one fingerprint before a change is loaded. */
  readonly settleMs: number;
  /** How long a change that removes every file document is held before it is loaded anyway. */
  readonly emptyGraceMs: number;
  /** Milliseconds; injected by tests. */
  readonly now?: () => number;
  readonly logger?: Pick<Logger, 'info' | 'warn'>;
  /** Injected by tests; the file system otherwise. */
  readonly read?: (paths: readonly string[]) => Promise<FileDocuments>;
  readonly fingerprint?: (paths: readonly string[]) => Promise<string>;
}

export interface CheckResult {
  /** A settled, verified change was accepted: reload the snapshot from `accepted()`. */
  readonly changed: boolean;
  /** Check again after this long: a change is settling or held. Undefined: nothing is pending. */
  readonly recheckInMs: number | undefined;
}

export interface PolicyFiles {
  /** The watcher's step: one fingerprint, and a read once a change has settled. */
  check(): Promise<CheckResult>;
  /** The files as last accepted; read now if nothing has been accepted yet. */
  accepted(): Promise<FileDocuments>;
  /** Read now for an explicit reload; a read that changed underneath or empties the set is not accepted. */
  readNow(): Promise<FileDocuments>;
  status(): ReloadState;
}

/** A read that keeps changing underneath is retried this often before the last accepted files stay. */
const READ_ATTEMPTS = 3;

interface Sighting {
  readonly fingerprint: string;
  readonly since: number;
}

export function createPolicyFiles(paths: readonly string[], options: PolicyFilesOptions): PolicyFiles {
  const now = options.now ?? Date.now;
  const read = options.read ?? readFileDocuments;
  const fingerprint = options.fingerprint ?? fingerprintPaths;
  const { settleMs, emptyGraceMs, logger } = options;
  const queue = createSerialQueue();
  let accepted: { readonly files: FileDocuments; readonly fingerprint: string } | undefined;
  /** A change seen by the watcher and not yet accepted. */
  let candidate: Sighting | undefined;
  /** A change that would empty the files, held since it was first seen. */
  let held: (Sighting & { readonly previous: number }) | undefined;

  function accept(files: FileDocuments, print: string): void {
    accepted = { files, fingerprint: print };
    candidate = undefined;
    held = undefined;
  }

  /** Accepts `files` unless they empty the accepted set too recently; true when accepted. */
  function consider(files: FileDocuments, print: string, firstSeen: number): boolean {
    const previous = accepted?.files.docs.length ?? 0;
    if (accepted === undefined || previous === 0 || files.docs.length > 0) {
      if (held !== undefined) {
        logger?.info(
          { files: files.files.length },
          'policy files define resources again; the held empty change was not loaded',
        );
      }
      accept(files, print);
      return true;
    }
    if (held?.fingerprint !== print) {
      held = { fingerprint: print, since: firstSeen, previous };
      logger?.warn(
        { documents: previous, graceMs: emptyGraceMs, since: new Date(firstSeen).toISOString() },
        `the policy files now define no resources: a probable partial write; the last good policy stays in force unless this lasts ${emptyGraceMs} ms`,
      );
    }
    if (now() - held.since < emptyGraceMs) return false;
    logger?.warn(
      { documents: previous, heldMs: now() - held.since },
      'the policy files have defined no resources for the whole grace window; loading the empty set',
    );
    accept(files, print);
    return true;
  }

  /** Reads the files; `stable` when the fingerprint afterwards is still `expected`. */
  async function verifiedRead(expected: string): Promise<{ files: FileDocuments; stable: boolean }> {
    const files = await read(paths);
    return { files, stable: (await fingerprint(paths)) === expected };
  }

  async function check(): Promise<CheckResult> {
    const print = await fingerprint(paths);
    const at = now();
    if (print === accepted?.fingerprint) {
      if (held !== undefined)
        logger?.info('the policy files are back as last loaded; the held empty change was dropped');
      candidate = undefined;
      held = undefined;
      return { changed: false, recheckInMs: undefined };
    }
    if (candidate?.fingerprint !== print) {
      candidate = { fingerprint: print, since: at };
      return { changed: false, recheckInMs: settleMs };
    }
    const settling = candidate.since + settleMs - at;
    if (settling > 0) return { changed: false, recheckInMs: settling };
    if (held?.fingerprint === print && at - held.since < emptyGraceMs) {
      return { changed: false, recheckInMs: held.since + emptyGraceMs - at };
    }
    const { files, stable } = await verifiedRead(print);
    if (!stable) {
      // Written while being read: start the window again from what is there now.
      candidate = { fingerprint: await fingerprint(paths), since: now() };
      return { changed: false, recheckInMs: settleMs };
    }
    if (consider(files, print, candidate.since)) return { changed: true, recheckInMs: undefined };
    return { changed: false, recheckInMs: Math.max(0, held!.since + emptyGraceMs - now()) };
  }

  async function readNow(): Promise<FileDocuments> {
    for (let attempt = 1; ; attempt++) {
      const print = await fingerprint(paths);
      const { files, stable } = await verifiedRead(print);
      // At startup there is nothing else to serve: the last attempt is taken as it is.
      const last = attempt >= READ_ATTEMPTS;
      if (stable || (last && accepted === undefined)) {
        consider(files, print, now());
        return accepted?.files ?? files;
      }
      // Still being written: keep what was accepted; the watcher loads the change once it settles.
      if (last) return accepted!.files;
    }
  }

  return {
    check: () => queue.run(check),
    accepted: () => queue.run(async () => accepted?.files ?? readNow()),
    readNow: () => queue.run(readNow),
    status(): ReloadState {
      if (held !== undefined && (candidate === undefined || candidate.fingerprint === held.fingerprint)) {
        return {
          pending: true,
          code: 'probable_partial_write',
          reason: `the policy files now define no resources (the loaded ones had ${held.previous} documents); the last good policy stays in force unless this lasts ${emptyGraceMs} ms`,
          since: new Date(held.since).toISOString(),
          loadAfter: new Date(held.since + emptyGraceMs).toISOString(),
        };
      }
      if (candidate !== undefined) {
        return {
          pending: true,
          code: 'settling',
          reason: `the policy files changed; the change is loaded once they stay unchanged for ${settleMs} ms`,
          since: new Date(candidate.since).toISOString(),
          loadAfter: new Date(candidate.since + settleMs).toISOString(),
        };
      }
      return { pending: false };
    },
  };
}
