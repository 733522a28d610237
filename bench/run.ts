/**
 * `npm run bench -- [decide|check] [--sizes 10,1000,…] [--ms N]`: runs benchmarks and prints
 * Markdown tables for BENCHMARKS.md. Run with `node --expose-gc` for meaningful heap figures
 * (the npm script does).
 */
import { parseArgs } from 'node:util';
import os from 'node:os';
import { runDecideBench } from './decide.bench';

function table(rows: readonly Record<string, unknown>[]): string {
  if (rows.length === 0) return '(no rows)';
  const keys = Object.keys(rows[0]!);
  const line = (cells: readonly unknown[]) => `| ${cells.map(String).join(' | ')} |`;
  return [line(keys), line(keys.map(() => '---:')), ...rows.map((r) => line(keys.map((k) => r[k])))].join(
    '\n',
  );
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { sizes: { type: 'string' }, ms: { type: 'string' } },
    allowPositionals: true,
  });
  const which = positionals.length > 0 ? positionals : ['decide'];
  console.log(
    `# ${new Date().toISOString()} node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}`,
  );
  for (const name of which) {
    if (name === 'decide') {
      const sizes = values.sizes?.split(',').map(Number);
      const rows = runDecideBench(sizes, values.ms ? Number(values.ms) : undefined);
      console.log(`\n## decide\n\n${table(rows as unknown as Record<string, unknown>[])}`);
    } else {
      throw new Error(`unknown benchmark "${name}" (known: decide)`);
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
