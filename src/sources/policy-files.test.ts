import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createFileSource } from './files';
import { readFileDocuments, type FileDocuments } from './merged-policy';
import { createPolicyFiles, type PolicyFilesOptions } from './policy-files';
import { createSnapshotStore } from './snapshot-store';

const GATEWAY = `apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressGateway
metadata: { name: agents }
spec: {}
`;
const ROUTE = `---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressL4Route
metadata: { name: paste }
spec:
  parentRefs: [{ name: agents }]
  rules: [{ matches: [{ destinationHostnames: [pastebin.com], ports: [{ port: 443 }] }] }]
`;
const DENY = `---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressDenyPolicy
metadata: { name: no-paste }
spec:
  targetRef: { kind: EgressL4Route, name: paste }
`;

/** A policy directory, a hand-moved clock, the policy files over both, and a snapshot store. */
function setup(initial: string, options: Partial<PolicyFilesOptions> = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-policy-files-'));
  const file = path.join(dir, 'policy.yaml');
  writeFileSync(file, initial);
  const clock = { ms: 1_000_000 };
  const files = createPolicyFiles([dir], {
    settleMs: 1000,
    emptyGraceMs: 10_000,
    now: () => clock.ms,
    ...options,
  });
  const source = createFileSource([dir], files, { intervalMs: 60_000 });
  const store = createSnapshotStore({ sources: [source] });
  /** What the watcher does on a check: reload from the accepted files when a change was accepted. */
  const check = async (): Promise<boolean> => {
    const { changed } = await files.check();
    if (changed) await store.reload({ changed: source.name });
    return changed;
  };
  const loaded = (): string[] => (store.current()?.resources ?? []).map((r) => r.meta.name).sort();
  return { dir, file, clock, files, store, check, loaded, cleanup: () => rmSync(dir, { recursive: true }) };
}

describe('createPolicyFiles()', () => {
  it('accepts the first read at once: startup does not wait for a window', async () => {
    const t = setup(GATEWAY + ROUTE);
    try {
      expect((await t.store.reload()).ok).toBe(true);
      expect(t.loaded()).toEqual(['agents', 'paste']);
      expect(t.store.status().reload).toEqual({ pending: false });
      expect(await t.check()).toBe(false);
    } finally {
      t.cleanup();
    }
  });

  it('loads a file written in two steps once, with the final content, never the first step', async () => {
    const t = setup(GATEWAY);
    try {
      await t.store.reload();
      const accepted: boolean[] = [];
      writeFileSync(t.file, GATEWAY + ROUTE); // the route lands first…
      accepted.push(await t.check());
      expect(t.store.status().reload).toMatchObject({ pending: true, code: 'settling' });
      t.clock.ms += 400;
      appendFileSync(t.file, DENY); // …and the deny policy that limits it 400 ms later
      accepted.push(await t.check());
      t.clock.ms += 999; // 1399 ms after the first step, 999 after the second: not settled
      accepted.push(await t.check());
      expect(t.loaded()).toEqual(['agents']);
      t.clock.ms += 1;
      accepted.push(await t.check());
      expect(t.loaded()).toEqual(['agents', 'no-paste', 'paste']);
      t.clock.ms += 5000;
      accepted.push(await t.check());
      expect(accepted).toEqual([false, false, false, true, false]);
      expect(t.store.status()).toMatchObject({ version: 2, reloads: 2, reload: { pending: false } });
    } finally {
      t.cleanup();
    }
  });

  it('needs two sightings of one fingerprint even when the window has passed', async () => {
    const t = setup(GATEWAY);
    try {
      await t.store.reload();
      writeFileSync(t.file, GATEWAY + ROUTE);
      t.clock.ms += 60_000;
      expect(await t.check()).toBe(false); // first sighting starts the window
      t.clock.ms += 1000;
      expect(await t.check()).toBe(true);
    } finally {
      t.cleanup();
    }
  });

  it('does not load what was read while a write happened, and loads the write once it settled', async () => {
    let writeDuringRead: (() => void) | undefined;
    const read = async (paths: readonly string[]): Promise<FileDocuments> => {
      const files = await readFileDocuments(paths);
      writeDuringRead?.();
      writeDuringRead = undefined;
      return files;
    };
    const t = setup(GATEWAY, { read });
    try {
      await t.store.reload();
      writeFileSync(t.file, GATEWAY + ROUTE);
      expect(await t.check()).toBe(false);
      t.clock.ms += 1000;
      writeDuringRead = () => appendFileSync(t.file, DENY);
      expect(await t.check()).toBe(false); // read GATEWAY + ROUTE, but the file changed meanwhile
      expect(t.loaded()).toEqual(['agents']);
      expect(t.store.status().reload).toMatchObject({ pending: true, code: 'settling' });
      t.clock.ms += 1000;
      expect(await t.check()).toBe(true);
      expect(t.loaded()).toEqual(['agents', 'no-paste', 'paste']);
    } finally {
      t.cleanup();
    }
  });

  it('loads a file renamed into place (an atomic write) after the settle window', async () => {
    const t = setup(GATEWAY);
    try {
      await t.store.reload();
      const temp = path.join(t.dir, '.policy.yaml.tmp'); // dotfiles are neither read nor fingerprinted
      writeFileSync(temp, GATEWAY + ROUTE + DENY);
      expect(await t.check()).toBe(false);
      renameSync(temp, t.file);
      expect(await t.check()).toBe(false);
      t.clock.ms += 999;
      expect(await t.check()).toBe(false);
      t.clock.ms += 1;
      expect(await t.check()).toBe(true);
      expect(t.loaded()).toEqual(['agents', 'no-paste', 'paste']);
    } finally {
      t.cleanup();
    }
  });

  it('keeps the last good policy while the file is truncated to nothing, then loads the empty set after the grace window', async () => {
    const t = setup(GATEWAY + ROUTE);
    try {
      await t.store.reload();
      truncateSync(t.file, 0);
      const seen = t.clock.ms;
      expect(await t.check()).toBe(false);
      t.clock.ms += 1000;
      expect(await t.check()).toBe(false); // settled, but it would drop every resource: held
      expect(t.loaded()).toEqual(['agents', 'paste']);
      const status = t.store.status();
      expect(status.reload).toEqual({
        pending: true,
        code: 'probable_partial_write',
        reason: expect.stringContaining('define no resources') as unknown,
        since: new Date(seen).toISOString(),
        loadAfter: new Date(seen + 10_000).toISOString(),
      });
      // An explicit reload (an admin change) meanwhile keeps the held files out too.
      expect((await t.store.reload()).ok).toBe(true);
      expect(t.loaded()).toEqual(['agents', 'paste']);
      t.clock.ms = seen + 9_999;
      expect(await t.check()).toBe(false);
      expect(t.loaded()).toEqual(['agents', 'paste']);
      t.clock.ms = seen + 10_000;
      expect(await t.check()).toBe(true);
      expect(t.loaded()).toEqual([]);
      expect(t.store.status().reload).toEqual({ pending: false });
    } finally {
      t.cleanup();
    }
  });

  it('drops a held empty change when the file is written again before the grace window ends', async () => {
    const t = setup(GATEWAY + ROUTE);
    try {
      await t.store.reload();
      truncateSync(t.file, 0);
      await t.check();
      t.clock.ms += 1000;
      await t.check();
      expect(t.store.status().reload).toMatchObject({ code: 'probable_partial_write' });
      writeFileSync(t.file, GATEWAY + ROUTE + DENY);
      t.clock.ms += 100;
      expect(await t.check()).toBe(false);
      expect(t.store.status().reload).toMatchObject({ code: 'settling' });
      t.clock.ms += 1000;
      expect(await t.check()).toBe(true);
      expect(t.loaded()).toEqual(['agents', 'no-paste', 'paste']);
      expect(t.store.status().reload).toEqual({ pending: false });
    } finally {
      t.cleanup();
    }
  });

  it('holds a directory emptied of its files the same way', async () => {
    const t = setup(GATEWAY + ROUTE);
    try {
      await t.store.reload();
      rmSync(t.file);
      await t.check();
      t.clock.ms += 1000;
      expect(await t.check()).toBe(false);
      expect(t.store.status().reload).toMatchObject({ code: 'probable_partial_write' });
      expect(t.loaded()).toEqual(['agents', 'paste']);
    } finally {
      t.cleanup();
    }
  });

  it('loads an empty set at once when the loaded files held nothing either', async () => {
    const t = setup('# nothing yet\n');
    try {
      await t.store.reload();
      writeFileSync(t.file, '# still nothing\n');
      await t.check();
      t.clock.ms += 1000;
      expect(await t.check()).toBe(true);
    } finally {
      t.cleanup();
    }
  });
});
