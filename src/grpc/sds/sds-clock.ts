/**
 * Time for the SDS service: now, and timers for rotations. Injected so tests can move time forward
 * without waiting for a leaf's lifetime.
 */
export interface SdsClock {
  now(): number;
  /** Calls `fn` after `delayMs`; returns a function that cancels it. */
  setTimer(fn: () => void, delayMs: number): () => void;
}

/** setTimeout's longest delay (about 24.8 days); a longer one would fire at once. */
const MAX_DELAY_MS = 2 ** 31 - 1;

export const systemClock: SdsClock = {
  now: () => Date.now(),
  setTimer(fn, delayMs) {
    // Unref'd: a pending rotation never keeps the process alive on its own.
    const timer = setTimeout(fn, Math.min(Math.max(0, delayMs), MAX_DELAY_MS));
    timer.unref();
    return () => clearTimeout(timer);
  },
};
