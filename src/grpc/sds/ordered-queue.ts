/**
 * Runs a stream's work one piece at a time, in arrival order: a request whose certificates take a
 * while to mint is answered before the next request is even looked at, and a rotation waits its
 * turn. Bounded: a client that sends faster than it is answered is refused.
 */
export interface OrderedQueue {
  /** False when `max` tasks are already waiting (the task is not queued). */
  push(task: () => Promise<void>): boolean;
  /** Resolves once everything queued so far has run. */
  idle(): Promise<void>;
}

export function createOrderedQueue(max: number, onError: (err: unknown) => void): OrderedQueue {
  let tail: Promise<void> = Promise.resolve();
  let waiting = 0;
  return {
    push(task) {
      if (waiting >= max) return false;
      waiting += 1;
      tail = tail
        .then(task)
        .catch(onError)
        .finally(() => {
          waiting -= 1;
        });
      return true;
    },
    idle: () => tail,
  };
}
