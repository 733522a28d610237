/**
 * All-or-nothing startup (docs/operations.md, "Startup"): each part that starts registers how to
 * undo it, and a listener that fails to bind undoes them all, newest first. A service that cannot
 * start therefore leaves no listener, timer or open store behind, and the process exits by itself.
 */
import { listenError, type ListenError, type ListenTarget } from './listen-error';

export interface StartupSequence {
  /** How to undo something that has started, should a later step fail. */
  onAbort(undo: () => unknown): void;
  /** Binds one listener; on failure undoes everything registered and rejects with a ListenError. */
  listen<T>(target: ListenTarget, bind: () => Promise<T>): Promise<T>;
  /** Undoes everything registered, newest first; a failing undo is reported and the rest still run. */
  abort(): Promise<void>;
}

export function createStartupSequence(
  options: {
    onUndoError?: (err: unknown) => void;
    /** Builds the error for a failed bind; tests inject one that names no holder. */
    listenError?: (target: ListenTarget, err: unknown) => ListenError;
  } = {},
): StartupSequence {
  const undos: (() => unknown)[] = [];
  const abort = async (): Promise<void> => {
    for (let undo = undos.pop(); undo !== undefined; undo = undos.pop()) {
      try {
        await undo();
      } catch (err) {
        options.onUndoError?.(err);
      }
    }
  };
  return {
    onAbort: (undo) => void undos.push(undo),
    async listen(target, bind) {
      try {
        return await bind();
      } catch (err) {
        // Described first, while whatever holds the port is still there to be named.
        const failure = (options.listenError ?? listenError)(target, err);
        await abort();
        throw failure;
      }
    },
    abort,
  };
}
