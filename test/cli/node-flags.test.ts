/** The V8 flags of NODE_FLAGS reach Node whichever way Portcullis is started. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { NODE_FLAGS } from '../../src/cli/node-flags';

const root = path.join(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

describe('NODE_FLAGS', () => {
  it.each([
    ['the portcullis shebang', () => read('src/cli/main.ts').split('\n')[0]!],
    ['npm start', () => (JSON.parse(read('package.json')) as { scripts: { start: string } }).scripts.start],
    [
      'the Dockerfile entrypoint',
      () =>
        read('Dockerfile')
          .split('\n')
          .find((l) => l.startsWith('ENTRYPOINT'))!,
    ],
  ])('are passed by %s', (_where, line) => {
    expect(NODE_FLAGS.length).toBeGreaterThan(0);
    // The whole flag, not a prefix of another (`=32` must not pass for `=320`).
    const words = line().split(/[\s",[\]]+/);
    for (const flag of NODE_FLAGS) expect(words).toContain(flag);
  });
});
