/**
 * `portcullis … | head -1`: when the reader closes stdout early, the built CLI exits quietly with
 * its own exit code, never with an EPIPE stack trace. Spawns dist/ (which `npm test` builds first).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'dist/src/cli/main.js');
const examples = path.join(root, 'examples/policies');

interface Ended {
  readonly code: number | null;
  readonly firstLine: string;
  readonly stderr: string;
}

/**
 * Runs the CLI with stdout piped into a stream that is destroyed after `linesToRead` lines (0:
 * before anything arrives), the way `head -1` goes away. Killed after 20 s at most.
 */
function runClosingStdout(args: readonly string[], linesToRead: number): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    let stdout = '';
    let stderr = '';
    if (linesToRead === 0) child.stdout.destroy();
    else {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString('utf8');
        if (stdout.split('\n').length > linesToRead) child.stdout.destroy();
      });
    }
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, firstLine: stdout.split('\n')[0] ?? '', stderr });
    });
  });
}

describe('stdout closed early', () => {
  it('check, stdout closed before the first line: the decision’s exit code, nothing on stderr', async () => {
    const denied = await runClosingStdout(['check', '--policy', examples, '--dest', 'pastebin.com:443'], 0);
    expect(denied.stderr).toBe('');
    expect(denied.code).toBe(1);
    const allowed = await runClosingStdout(
      ['check', '--policy', examples, '--dest', 'api.anthropic.com:443'],
      0,
    );
    expect(allowed.stderr).toBe('');
    expect(allowed.code).toBe(0);
  });

  it('check | head -1: the first line, then a quiet exit', async () => {
    const r = await runClosingStdout(['check', '--policy', examples, '--dest', 'pastebin.com:443'], 1);
    expect(r.firstLine).toBe('DENY  pastebin.com:443/tcp');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
  });

  it('import of more than a pipe buffer | head -1: writes after the reader left are dropped quietly', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-closed-output-'));
    try {
      const docs = [
        'apiVersion: clrk.apoxy.dev/v1alpha1\nkind: EgressGateway\nmetadata: { name: agents }\nspec: {}\n',
      ];
      // About 200 KiB of output: well past the 64 KiB a pipe holds, so the CLI is still writing.
      for (let i = 0; i < 1500; i += 1) {
        docs.push(
          `# route ${i}: ${'padding '.repeat(8)}\napiVersion: clrk.apoxy.dev/v1alpha1\nkind: EgressL4Route\nmetadata: { name: route-${i} }\nspec:\n  parentRefs: [{ name: agents }]\n  rules:\n    - matches:\n        - destinationHostnames: [host-${i}.example.com]\n`,
        );
      }
      const file = path.join(dir, 'many.yaml');
      writeFileSync(file, docs.join('---\n'));
      const r = await runClosingStdout(['import', file], 1);
      expect(r.firstLine).toMatch(/^# from /);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
