/**
 * One process-wide line for admin writes: each task starts after the previous one settled, so a
 * read-check-write sequence (validate the candidate, commit, reload the snapshot) never interleaves
 * with another one, however many HTTP requests arrive at once.
 */
export interface SerialQueue {
  run<T>(task: () => Promise<T> | T): Promise<T>;
  /** Tasks waiting or running. */
  readonly depth: number;
}

export function createSerialQueue(): SerialQueue {
  let tail: Promise<unknown> = Promise.resolve();
  let depth = 0;
  return {
    run<T>(task: () => Promise<T> | T): Promise<T> {
      depth += 1;
      const result = tail.then(task).finally(() => {
        depth -= 1;
      });
      // The next task waits for this one whether it succeeded or not.
      tail = result.catch(() => undefined);
      return result;
    },
    get depth() {
      return depth;
    },
  };
}
