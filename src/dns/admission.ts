/**
 * Bounds on queries in flight: in all, and per client address, so one noisy or hostile client
 * cannot take every slot. Each admitted query holds at most one upstream exchange at a time, so
 * these also bound sockets and memory spent on upstream work.
 */

export interface Admission {
  /** True and counted when there is room; pair every true with one `release`. */
  tryAcquire(client: string): boolean;
  release(client: string): void;
  readonly inFlight: number;
}

export function createAdmission(maxInFlight: number, maxPerClient: number): Admission {
  const perClient = new Map<string, number>();
  let inFlight = 0;
  return {
    tryAcquire(client) {
      const current = perClient.get(client) ?? 0;
      if (inFlight >= maxInFlight || current >= maxPerClient) return false;
      perClient.set(client, current + 1);
      inFlight++;
      return true;
    },
    release(client) {
      const current = perClient.get(client) ?? 0;
      if (current <= 1) perClient.delete(client);
      else perClient.set(client, current - 1);
      if (inFlight > 0) inFlight--;
    },
    get inFlight() {
      return inFlight;
    },
  };
}
