import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SERVE_SETTINGS } from './serve-settings';
import { serveSettingsMarkdown, settingsBlockOf, SETTINGS_BEGIN, SETTINGS_END } from './serve-settings-doc';

const root = path.resolve(__dirname, '../..');
const read = (file: string): string => readFileSync(path.join(root, file), 'utf8');

/** Fails with the text to paste, so fixing drift is one copy. */
function expectCurrent(file: string, block: string | undefined): void {
  const expected = serveSettingsMarkdown();
  if (block === expected) return;
  throw new Error(
    `${file}: the serve settings table ${block === undefined ? 'is missing' : 'differs from src/config/serve-settings.ts'}. ` +
      `Replace everything from ${SETTINGS_BEGIN} to ${SETTINGS_END} with:\n\n${expected}\n`,
  );
}

describe('the serve settings table in the documentation', () => {
  it('docs/cli.md holds the table generated from SERVE_SETTINGS', () => {
    expectCurrent('docs/cli.md', settingsBlockOf(read('docs/cli.md')));
  });

  it('README.md, where it holds the markers, holds the same table', () => {
    const block = settingsBlockOf(read('README.md'));
    if (block !== undefined) expectCurrent('README.md', block);
  });

  it('has a row for every setting, with its flag, variable and key', () => {
    const table = serveSettingsMarkdown();
    for (const [flag, setting] of Object.entries(SERVE_SETTINGS)) {
      const line = table.split('\n').find((l) => l.startsWith(`| \`--${flag} `));
      expect(line).toContain(`\`${setting.env}\``);
      expect(line).toContain(`\`${setting.key}\``);
    }
  });

  it('finds the block between the markers, and nothing without them', () => {
    expect(settingsBlockOf(`a\n${SETTINGS_BEGIN}\nx\n${SETTINGS_END}\nb`)).toBe(
      `${SETTINGS_BEGIN}\nx\n${SETTINGS_END}`,
    );
    expect(settingsBlockOf('no markers')).toBeUndefined();
  });
});
