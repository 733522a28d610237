import { createHash } from 'node:crypto';
import type { CommandIo } from './io';
import type { CommandHelp } from './command-help';
import { usageError } from './usage-error';

export const HASH_KEY_USAGE =
  'portcullis hash-key < KEY-FILE   (the key on standard input; prints its SHA-256)';

export const HASH_KEY_HELP: CommandHelp = {
  usage: HASH_KEY_USAGE,
  summary: [
    'Print the SHA-256 of an agent key read from standard input, for recognise.keys[].sha256 of an',
    'EgressAgent. The key is never taken as an argument (it would land in shell history); one',
    'trailing line break is dropped. For a key sent as Basic credentials, hash the password part.',
  ],
  flags: {},
  notes: [
    'exit codes: 0 printed, 2 no key, more than one line, or arguments given',
    'example:  echo -n KEY | portcullis hash-key',
  ],
};

/** Far beyond any real key; stops `hash-key < /dev/zero` from reading forever. */
const MAX_BYTES = 16 * 1024;
const LF = 0x0a;
const CR = 0x0d;

/** Where the key comes from: process.stdin, or a stream or array in tests. */
export type KeyInput = AsyncIterable<Uint8Array | string> & { readonly isTTY?: boolean };

/**
 * `portcullis hash-key`: the SHA-256 (lower-case hex) of one key, for `recognise.keys[].sha256`
 * of an EgressAgent. The key is read from standard input, never from the command line, where it
 * would land in shell history and process listings. One trailing line break (what `echo` and the
 * terminal add) is dropped. For a key presented as Basic credentials, hash the password part.
 */
export async function hashKeyCommand(
  args: readonly string[],
  io: CommandIo,
  input: KeyInput = process.stdin,
): Promise<number> {
  if (args.length > 0) {
    throw usageError(
      'hash-key takes no arguments: give the key on standard input (an argument lands in shell history; if it was a real key, rotate it)',
    );
  }
  if (input.isTTY === true) io.err('type the key, then press Enter and Ctrl-D');
  const key = withoutLineBreak(await readAll(input));
  try {
    if (key.length === 0) throw usageError('no key on standard input');
    if (key.includes(LF) || key.includes(CR)) {
      throw usageError('standard input holds more than one line; give exactly one key');
    }
    io.out(createHash('sha256').update(key).digest('hex'));
    return 0;
  } finally {
    key.fill(0);
  }
}

async function readAll(input: KeyInput): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of input) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk);
      chunks.push(bytes);
      length += bytes.length;
      if (length > MAX_BYTES)
        throw usageError(`standard input is longer than ${MAX_BYTES} bytes; that is not a key`);
    }
    return Buffer.concat(chunks, length);
  } finally {
    for (const chunk of chunks) chunk.fill(0);
  }
}

function withoutLineBreak(bytes: Buffer): Buffer {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === LF) end -= 1;
  if (end > 0 && bytes[end - 1] === CR && end < bytes.length) end -= 1;
  const key = Buffer.from(bytes.subarray(0, end));
  bytes.fill(0);
  return key;
}
