import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findPortHolder, parseProcNet } from './port-holder';

const HEADER =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';

/** /proc/net/tcp as a little-endian kernel prints it. */
const TCP =
  HEADER +
  '   0: 0100007F:20FB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1111 1 0\n' +
  '   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2222 1 0\n' +
  // An established connection from port 8443: not a listener.
  '   2: 0100007F:20FB 0100007F:A000 01 00000000:00000000 00:00000000 00000000     0        0 3333 1 0\n';
const TCP6 =
  HEADER +
  '   0: 00000000000000000000000001000000:2382 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 4444 1 0\n' +
  '   1: 0000000000000000FFFF00000100007F:2383 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 5555 1 0\n';

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const describeLE = littleEndian ? describe : describe.skip;

describeLE('parseProcNet', () => {
  test('addresses, ports, states and inodes', () => {
    expect(parseProcNet(TCP)).toStrictEqual([
      { address: '127.0.0.1', port: 8443, state: '0A', inode: '1111' },
      { address: '0.0.0.0', port: 8080, state: '0A', inode: '2222' },
      { address: '127.0.0.1', port: 8443, state: '01', inode: '3333' },
    ]);
  });

  test('IPv6, with IPv4-mapped addresses read as IPv4', () => {
    expect(parseProcNet(TCP6)).toStrictEqual([
      { address: '::1', port: 9090, state: '0A', inode: '4444' },
      { address: '127.0.0.1', port: 9091, state: '0A', inode: '5555' },
    ]);
  });

  test('lines it cannot read are skipped', () => {
    expect(parseProcNet(`${HEADER}garbage\n   0: XYZ:20FB 0:0 0A a b c d e 6666\n\n`)).toStrictEqual([]);
  });
});

describeLE('findPortHolder over a /proc tree', () => {
  let root: string;

  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'portcullis-proc-'));
    mkdirSync(path.join(root, 'net'));
    writeFileSync(path.join(root, 'net', 'tcp'), TCP);
    writeFileSync(path.join(root, 'net', 'tcp6'), TCP6);
    writeFileSync(path.join(root, 'net', 'udp'), HEADER);
    const proc = (pid: number, comm: string, sockets: string[]) => {
      mkdirSync(path.join(root, String(pid), 'fd'), { recursive: true });
      writeFileSync(path.join(root, String(pid), 'comm'), `${comm}\n`);
      sockets.forEach((target, fd) => symlinkSync(target, path.join(root, String(pid), 'fd', String(fd))));
    };
    proc(100, 'sshd', ['/dev/null', 'socket:[9999]']);
    proc(200, 'nginx', ['/dev/null', 'socket:[1111]', 'socket:[3333]']);
    proc(300, 'envoy', ['socket:[2222]']);
    proc(400, 'node', ['socket:[4444]']);
    mkdirSync(path.join(root, 'self'));
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test('the process listening on that address and port', () => {
    expect(findPortHolder('tcp', '127.0.0.1', 8443, { procRoot: root })).toStrictEqual({
      pid: 200,
      command: 'nginx',
    });
    expect(findPortHolder('tcp', '::1', 9090, { procRoot: root })).toStrictEqual({
      pid: 400,
      command: 'node',
    });
  });

  test('a wildcard listener holds the port on every address', () => {
    expect(findPortHolder('tcp', '127.0.0.1', 8080, { procRoot: root })).toStrictEqual({
      pid: 300,
      command: 'envoy',
    });
  });

  test('nothing named when no listener matches, or the scan bound is reached', () => {
    expect(findPortHolder('tcp', '10.0.0.1', 8443, { procRoot: root })).toBeUndefined();
    expect(findPortHolder('udp', '127.0.0.1', 8443, { procRoot: root })).toBeUndefined();
    expect(findPortHolder('tcp', '127.0.0.1', 8443, { procRoot: root, maxProcesses: 1 })).toBeUndefined();
    expect(findPortHolder('tcp', '127.0.0.1', 8443, { procRoot: root, maxDescriptors: 2 })).toBeUndefined();
    expect(findPortHolder('tcp', 'not-an-ip', 8443, { procRoot: root })).toBeUndefined();
    expect(
      findPortHolder('tcp', '127.0.0.1', 8443, { procRoot: path.join(root, 'missing') }),
    ).toBeUndefined();
  });
});

const describeLinux = process.platform === 'linux' && littleEndian ? describe : describe.skip;

describeLinux('findPortHolder on this host', () => {
  test('names this process as the holder of a port it listens on', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as net.AddressInfo).port;
      expect(findPortHolder('tcp', '127.0.0.1', port)).toMatchObject({ pid: process.pid });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
