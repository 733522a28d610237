/**
 * Which process holds a port, so a failed start can say so: best effort, Linux only, bounded.
 *
 * /proc/net/{tcp,tcp6,udp,udp6} map a bound socket's local address to an inode; a process's
 * /proc/PID/fd links to `socket:[inode]`. Processes of other users (or in other PID namespaces)
 * are not readable without privileges: then nothing is named, and the caller says less.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { ipv4FromNumber, ipv6FromWords, parseRequestIp, type Ipv6Words } from '../policy/ip';

export interface PortHolder {
  readonly pid: number;
  /** /proc/PID/comm: the executable's name, up to 15 characters. */
  readonly command: string;
}

export type Transport = 'tcp' | 'udp';

export interface PortHolderOptions {
  /** Default `/proc`; tests point it at a fixture tree. */
  readonly procRoot?: string;
  /** Bounds on the scan; defaults 4096 processes and 65536 descriptors. */
  readonly maxProcesses?: number;
  readonly maxDescriptors?: number;
}

/** `/proc/net/tcp` state of a listening socket (include/net/tcp_states.h TCP_LISTEN). */
const TCP_LISTEN = '0A';

export function findPortHolder(
  transport: Transport,
  address: string,
  port: number,
  options: PortHolderOptions = {},
): PortHolder | undefined {
  const root = options.procRoot ?? '/proc';
  const wanted = canonical(address);
  if (wanted === undefined || port <= 0) return undefined;
  const inodes = new Set<string>();
  for (const file of [transport, `${transport}6`]) {
    for (const socket of readSockets(join(root, 'net', file))) {
      if (transport === 'tcp' && socket.state !== TCP_LISTEN) continue;
      if (socket.port === port && overlaps(socket.address, wanted)) inodes.add(socket.inode);
    }
  }
  if (inodes.size === 0) return undefined;
  return findOwner(root, inodes, options.maxProcesses ?? 4096, options.maxDescriptors ?? 65_536);
}

interface ProcSocket {
  readonly address: string;
  readonly port: number;
  readonly state: string;
  readonly inode: string;
}

/**
 * Lines of `sl local_address rem_address st … uid timeout inode`; addresses are hex in the
 * kernel's byte order (`0100007F:1F90` is 127.0.0.1:8080 on a little-endian host).
 */
export function parseProcNet(text: string): ProcSocket[] {
  const sockets: ProcSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10) continue;
    const [hexAddress, hexPort] = fields[1]!.split(':');
    const address = hexAddress === undefined ? undefined : addressFromHex(hexAddress);
    const inode = fields[9]!;
    if (address === undefined || hexPort === undefined || inode === '0') continue;
    sockets.push({ address, port: parseInt(hexPort, 16), state: fields[3]!, inode });
  }
  return sockets;
}

function readSockets(file: string): ProcSocket[] {
  try {
    return parseProcNet(readFileSync(file, 'utf8'));
  } catch {
    return [];
  }
}

const LITTLE_ENDIAN = endianness() === 'LE';

/** One 32-bit word as the kernel printed it (host order) → its value in network order. */
function word(hex: string): number {
  const n = parseInt(hex, 16);
  if (!LITTLE_ENDIAN) return n;
  return (((n & 0xff) << 24) | ((n & 0xff00) << 8) | ((n >>> 8) & 0xff00) | (n >>> 24)) >>> 0;
}

function addressFromHex(hex: string): string | undefined {
  if (!/^[0-9A-Fa-f]+$/.test(hex)) return undefined;
  if (hex.length === 8) return ipv4FromNumber(word(hex)).text;
  if (hex.length !== 32) return undefined;
  const words = [0, 8, 16, 24].map((i) => word(hex.slice(i, i + 8))) as unknown as Ipv6Words;
  return canonical(ipv6FromWords(words).text);
}

/** Canonical text, IPv4-mapped IPv6 as IPv4 (a dual-stack socket on ::ffff:127.0.0.1 holds 127.0.0.1). */
function canonical(address: string): string | undefined {
  return parseRequestIp(address)?.text;
}

const WILDCARDS = new Set(['0.0.0.0', '::']);

/** A socket on the wildcard address holds the port on every address, and the other way round. */
function overlaps(held: string, wanted: string): boolean {
  return held === wanted || WILDCARDS.has(held) || WILDCARDS.has(wanted);
}

function findOwner(
  root: string,
  inodes: ReadonlySet<string>,
  maxProcesses: number,
  maxDescriptors: number,
): PortHolder | undefined {
  const links = new Set([...inodes].map((inode) => `socket:[${inode}]`));
  let processes = 0;
  let descriptors = 0;
  // In pid order, so the scan and its bounds are repeatable.
  const pids = list(root)
    .filter((entry) => /^\d+$/.test(entry))
    .sort((a, b) => Number(a) - Number(b));
  for (const entry of pids) {
    if (++processes > maxProcesses) return undefined;
    for (const fd of list(join(root, entry, 'fd'))) {
      if (++descriptors > maxDescriptors) return undefined;
      let target: string;
      try {
        target = readlinkSync(join(root, entry, 'fd', fd));
      } catch {
        continue;
      }
      if (links.has(target)) return { pid: Number(entry), command: commandOf(root, entry) };
    }
  }
  return undefined;
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function commandOf(root: string, pid: string): string {
  try {
    return readFileSync(join(root, pid, 'comm'), 'utf8').trim();
  } catch {
    return '?';
  }
}
