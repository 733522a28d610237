import path from 'node:path';
import { tmpdir } from 'node:os';
import type { CheckResult } from './policy-files';
import { watchPolicyPaths } from './policy-watcher';

// A path that does not exist: no file-system events, so only the timers below drive checks.
const NOWHERE = path.join(tmpdir(), 'portcullis-watcher-test-does-not-exist');

afterEach(() => jest.useRealTimers());

/** A watcher over checks that answer `results` in turn, with fake timers. */
function watcherWith(results: CheckResult[]) {
  jest.useFakeTimers();
  let checks = 0;
  let changes = 0;
  const watcher = watchPolicyPaths(
    [NOWHERE],
    {
      check: async () => {
        checks++;
        return results.shift() ?? { changed: false, recheckInMs: undefined };
      },
    },
    () => changes++,
    { intervalMs: 60_000 },
  );
  return { watcher, counts: () => ({ checks, changes }) };
}

describe('watchPolicyPaths()', () => {
  it('checks again when the settle window the check asked for ends, and reports the accepted change once', async () => {
    const t = watcherWith([
      { changed: false, recheckInMs: 1000 },
      { changed: true, recheckInMs: undefined },
    ]);
    await jest.advanceTimersByTimeAsync(60_000); // the periodic check sees the change
    expect(t.counts()).toEqual({ checks: 1, changes: 0 });
    await jest.advanceTimersByTimeAsync(999);
    expect(t.counts()).toEqual({ checks: 1, changes: 0 });
    await jest.advanceTimersByTimeAsync(1);
    expect(t.counts()).toEqual({ checks: 2, changes: 1 });
    t.watcher.close();
    await jest.advanceTimersByTimeAsync(120_000);
    expect(t.counts()).toEqual({ checks: 2, changes: 1 });
  });

  it('keeps polling when nothing is pending', async () => {
    const t = watcherWith([]);
    await jest.advanceTimersByTimeAsync(180_000);
    expect(t.counts()).toEqual({ checks: 3, changes: 0 });
    t.watcher.close();
  });
});
