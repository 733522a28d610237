/**
 * When each certificate a stream serves must be replaced: at two thirds of its lifetime, while a
 * third is still ahead. Envoy keeps serving a secret until the SDS server sends a new one (it has no
 * expiry of its own), so rotation is pushed from here.
 *
 * Names that fall due together (minted together) are handed over together, one response for all.
 */
import type { SdsClock } from './sds-clock';
import type { TlsSecretMaterial } from './service-types';

export interface RotationSchedule {
  /** (Re)schedules `name` for the certificate just served. */
  track(name: string, material: TlsSecretMaterial): void;
  forget(name: string): void;
  /** Cancels everything; nothing falls due afterwards. */
  clear(): void;
  has(name: string): boolean;
  readonly size: number;
}

/**
 * Never sooner than this: a certificate that is already due (a cache that handed out a stale one)
 * is asked for again after a second, not in a loop.
 */
const MIN_DELAY_MS = 1000;

export function dueAt(material: TlsSecretMaterial): number {
  return material.issuedAt + ((material.notAfter - material.issuedAt) * 2) / 3;
}

export function createRotationSchedule(
  clock: SdsClock,
  onDue: (names: readonly string[]) => void,
): RotationSchedule {
  const timers = new Map<string, () => void>();
  let due = new Set<string>();
  let flushing = false;
  let cleared = false;

  const flush = (): void => {
    flushing = false;
    if (cleared || due.size === 0) return;
    const names = [...due];
    due = new Set();
    onDue(names);
  };

  return {
    track(name, material) {
      if (cleared) return;
      timers.get(name)?.();
      const delay = Math.max(MIN_DELAY_MS, dueAt(material) - clock.now());
      timers.set(
        name,
        clock.setTimer(() => {
          timers.delete(name);
          due.add(name);
          if (!flushing) {
            flushing = true;
            setImmediate(flush);
          }
        }, delay),
      );
    },
    forget(name) {
      timers.get(name)?.();
      timers.delete(name);
      due.delete(name);
    },
    clear() {
      cleared = true;
      for (const cancel of timers.values()) cancel();
      timers.clear();
      due.clear();
    },
    has: (name) => timers.has(name) || due.has(name),
    get size() {
      return timers.size + due.size;
    },
  };
}
