import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

import { hashKeyCommand } from './hash-key-command';
import type { KeyInput } from './hash-key-command';
import { main } from './main';
import { isPortcullisError } from '../errors/portcullis-error';

const sha = (key: string): string => createHash('sha256').update(key).digest('hex');

async function run(input: KeyInput, args: string[] = []) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await hashKeyCommand(args, { out: (l) => out.push(l), err: (l) => err.push(l) }, input);
  return { code, out, err };
}

describe('portcullis hash-key', () => {
  it.each<[string, (string | Buffer)[], string]>([
    ['a key without a line break', ['sk-live-abc'], 'sk-live-abc'],
    ['a key ending in the line break echo adds', ['sk-live-abc\n'], 'sk-live-abc'],
    ['a key ending in CRLF', ['sk-live-abc\r\n'], 'sk-live-abc'],
    ['a key split across chunks', [Buffer.from('sk-li'), Buffer.from('ve-abc\n')], 'sk-live-abc'],
    ['a key with an inner space, kept', ['two words\n'], 'two words'],
    ['a non-ASCII key, as UTF-8', ['clé\n'], 'clé'],
  ])('prints the SHA-256 of %s', async (_name, chunks, key) => {
    const r = await run(Readable.from(chunks));
    expect(r).toEqual({ code: 0, out: [sha(key)], err: [] });
    expect(r.out[0]).toMatch(/^[0-9a-f]{64}$/);
  });

  it('matches a well-known digest', async () => {
    const r = await run(Readable.from(['test']));
    expect(r.out).toEqual(['9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08']);
  });

  it.each<[string, (string | Buffer)[], RegExp]>([
    ['empty input', [], /no key/],
    ['only a line break', ['\n'], /no key/],
    ['two lines', ['one\ntwo\n'], /more than one line/],
    ['more than 16 KiB', [Buffer.alloc(16 * 1024 + 1, 0x61)], /longer than/],
  ])('refuses %s', async (_name, chunks, message) => {
    await expect(run(Readable.from(chunks))).rejects.toThrow(message);
    await expect(run(Readable.from(chunks))).rejects.toMatchObject({ code: 'usage' });
  });

  it('refuses a key given as an argument, without repeating it', async () => {
    const r = await run(Readable.from([]), ['sk-live-abc']).catch((e: unknown) => e);
    expect(isPortcullisError(r, 'usage')).toBe(true);
    expect(String((r as Error).message)).not.toContain('sk-live-abc');
  });

  it('prompts on a terminal, on stderr', async () => {
    const input = Object.assign(Readable.from(['k\n']), { isTTY: true });
    const r = await run(input);
    expect(r.out).toEqual([sha('k')]);
    expect(r.err).toEqual(['type the key, then press Enter and Ctrl-D']);
  });

  it('exits 2 with the usage line through main when called with an argument', async () => {
    const err: string[] = [];
    const code = await main(['hash-key', 'sk-live-abc'], { out: () => undefined, err: (l) => err.push(l) });
    // Until main registers hash-key this is "unknown command", also exit 2; neither echoes the key.
    expect(code).toBe(2);
    expect(err.join('\n')).not.toContain('sk-live-abc');
  });
});
