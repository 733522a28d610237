import { ListenError } from './listen-error';
import { createStartupSequence } from './startup-sequence';

const inUse = (): Error =>
  Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE', syscall: 'listen' });
const target = { what: 'gRPC', address: '127.0.0.1', port: 9191 };
const noHolder = (t: typeof target, err: unknown) =>
  new ListenError(`cannot listen (${t.what})`, t, (err as { code?: string }).code, undefined);

describe('createStartupSequence', () => {
  test('a bind that succeeds returns its value and undoes nothing', async () => {
    const undone: string[] = [];
    const startup = createStartupSequence({ listenError: noHolder });
    startup.onAbort(() => undone.push('store'));
    await expect(startup.listen(target, () => Promise.resolve(9191))).resolves.toBe(9191);
    expect(undone).toStrictEqual([]);
  });

  test('a bind that fails undoes everything started, newest first, then rejects with a ListenError', async () => {
    const undone: string[] = [];
    const startup = createStartupSequence({ listenError: noHolder });
    startup.onAbort(() => undone.push('store'));
    startup.onAbort(async () => {
      await new Promise((r) => setTimeout(r, 5));
      undone.push('dns');
    });
    startup.onAbort(() => undone.push('telemetry'));
    const failed = startup.listen(target, () => Promise.reject(inUse()));
    await expect(failed).rejects.toBeInstanceOf(ListenError);
    await expect(failed).rejects.toMatchObject({ code: 'EADDRINUSE', message: 'cannot listen (gRPC)' });
    expect(undone).toStrictEqual(['telemetry', 'dns', 'store']);
  });

  test('an undo that fails is reported and the others still run; each runs once', async () => {
    const undone: string[] = [];
    const reported: unknown[] = [];
    const startup = createStartupSequence({
      listenError: noHolder,
      onUndoError: (err) => reported.push(err),
    });
    startup.onAbort(() => undone.push('store'));
    startup.onAbort(() => Promise.reject(new Error('close failed')));
    startup.onAbort(() => {
      throw new Error('threw');
    });
    await startup.abort();
    await startup.abort();
    expect(undone).toStrictEqual(['store']);
    expect(reported.map((e) => (e as Error).message)).toStrictEqual(['threw', 'close failed']);
  });
});
