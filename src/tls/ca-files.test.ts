import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { testTempDir } from '../../test/support/temp-dirs';
import { createCa, loadCaFiles } from './ca-files';

describe('createCa', () => {
  it('writes ca.crt (0644) and ca.key (0600), which load back', async () => {
    const dir = join(testTempDir('ca'), 'nested', 'ca');
    const made = await createCa(dir, { hostname: 'ci-host' });
    expect(made.certificateFile).toBe(join(dir, 'ca.crt'));
    expect(made.keyFile).toBe(join(dir, 'ca.key'));
    expect(statSync(made.certificateFile).mode & 0o777).toBe(0o644);
    expect(statSync(made.keyFile).mode & 0o777).toBe(0o600);
    expect(made.subject).toMatch(/^CN=Portcullis interception CA \(ci-host\\, \d{4}-\d\d-\d\d\)$/);
    const ca = await loadCaFiles({ certificateFile: made.certificateFile, keyFile: made.keyFile });
    expect(ca.description).toContain('ci-host');
  });

  it('refuses to overwrite an existing CA, leaving it untouched', async () => {
    const dir = testTempDir('ca');
    const made = await createCa(dir);
    const before = readFileSync(made.keyFile, 'utf8');
    await expect(createCa(dir)).rejects.toMatchObject({ code: 'already_exists' });
    expect(readFileSync(made.keyFile, 'utf8')).toBe(before);
  });

  it('refuses when only one of the two files exists', async () => {
    const dir = testTempDir('ca');
    writeFileSync(join(dir, 'ca.crt'), 'old');
    await expect(createCa(dir)).rejects.toThrow(/ca\.crt already exists/);
    expect(() => statSync(join(dir, 'ca.key'))).toThrow();
  });

  it('says why a directory cannot be used', async () => {
    const parent = testTempDir('ca');
    writeFileSync(join(parent, 'file'), '');
    await expect(createCa(join(parent, 'file', 'ca'))).rejects.toThrow(/cannot create the directory/);
  });
});

describe('loadCaFiles', () => {
  it('names a missing file', async () => {
    const dir = testTempDir('ca');
    await expect(
      loadCaFiles({ certificateFile: join(dir, 'nope.crt'), keyFile: join(dir, 'nope.key') }),
    ).rejects.toThrow(/cannot read the CA certificate .*nope\.crt: ENOENT/);
  });

  it('refuses a directory given as a file', async () => {
    const dir = testTempDir('ca');
    await expect(loadCaFiles({ certificateFile: dir, keyFile: dir })).rejects.toThrow(/is not a file/);
  });
});
