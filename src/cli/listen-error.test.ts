import { EXIT_LISTEN_FAILED, EXIT_NOT_STARTED, ListenError, listenError } from './listen-error';
import type { findPortHolder } from './port-holder';

function errno(code: string, syscall: string, message = `${syscall} ${code}: something`): Error {
  return Object.assign(new Error(message), { code, syscall });
}

const nobody: typeof findPortHolder = () => undefined;

describe('listenError', () => {
  test('address in use: one line naming the address, the listener and the holder', () => {
    const asked: unknown[] = [];
    const err = listenError(
      { what: 'admin HTTP', address: '127.0.0.1', port: 8443 },
      errno('EADDRINUSE', 'listen'),
      {
        findHolder: (...args) => {
          asked.push(args);
          return { pid: 4242, command: 'nginx' };
        },
      },
    );
    expect(err).toBeInstanceOf(ListenError);
    expect(err.message).toBe(
      'cannot listen on 127.0.0.1:8443 (admin HTTP): address already in use (held by pid 4242, nginx)',
    );
    expect(asked).toStrictEqual([['tcp', '127.0.0.1', 8443]]);
    expect(err.code).toBe('EADDRINUSE');
    expect(err.exitCode).toBe(EXIT_LISTEN_FAILED);
    expect([err.errorCode, err.exitCode]).toEqual(['listen_failed', 3]);
  });

  test('without a known holder the line just stops there', () => {
    const err = listenError({ what: 'gRPC', address: '::1', port: 9191 }, errno('EADDRINUSE', 'listen'), {
      findHolder: nobody,
    });
    expect(err.message).toBe('cannot listen on [::1]:9191 (gRPC): address already in use');
  });

  test('a holder lookup that throws does not hide the failure', () => {
    const err = listenError(
      { what: 'gRPC', address: '127.0.0.1', port: 9191 },
      errno('EADDRINUSE', 'listen'),
      {
        findHolder: () => {
          throw new Error('proc unreadable');
        },
      },
    );
    expect(err.message).toBe('cannot listen on 127.0.0.1:9191 (gRPC): address already in use');
  });

  test('DNS says whether UDP or TCP failed, and looks for the holder on that transport', () => {
    const asked: unknown[] = [];
    const findHolder: typeof findPortHolder = (transport) => {
      asked.push(transport);
      return undefined;
    };
    const target = { what: 'DNS', address: '127.0.0.1', port: 53, udp: true };
    expect(listenError(target, errno('EADDRINUSE', 'bind'), { findHolder }).message).toBe(
      'cannot listen on 127.0.0.1:53 (DNS UDP): address already in use',
    );
    expect(listenError(target, errno('EADDRINUSE', 'listen'), { findHolder }).message).toBe(
      'cannot listen on 127.0.0.1:53 (DNS TCP): address already in use',
    );
    expect(asked).toStrictEqual(['udp', 'tcp']);
  });

  test('privileged ports and foreign addresses are explained; no holder lookup', () => {
    const findHolder = jest.fn(nobody);
    const target = { what: 'gRPC', address: '10.9.9.9', port: 443 };
    expect(listenError(target, errno('EACCES', 'listen'), { findHolder }).message).toBe(
      'cannot listen on 10.9.9.9:443 (gRPC): permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)',
    );
    expect(listenError(target, errno('EADDRNOTAVAIL', 'listen'), { findHolder }).message).toMatch(
      /^cannot listen on 10\.9\.9\.9:443 \(gRPC\): address not available/,
    );
    expect(listenError(target, errno('EINVAL', 'listen', 'listen EINVAL: odd\nsecond line')).message).toBe(
      'cannot listen on 10.9.9.9:443 (gRPC): EINVAL: listen EINVAL: odd; second line',
    );
    expect(findHolder).not.toHaveBeenCalled();
  });

  test('a failure that is not the system refusing the address: exit 1, still one line', () => {
    const err = listenError(
      { what: 'DNS', address: '127.0.0.1', port: 5353, udp: true },
      new Error('DNS server: upstream 127.0.0.1:5353 is this server\nset --dns-upstream'),
    );
    expect(err.message).toBe(
      'cannot start DNS on 127.0.0.1:5353: DNS server: upstream 127.0.0.1:5353 is this server; set --dns-upstream',
    );
    expect(err.code).toBeUndefined();
    expect(err.exitCode).toBe(EXIT_NOT_STARTED);
    expect([err.errorCode, err.exitCode]).toEqual(['startup_failed', 1]);
  });
});
