/**
 * `npm run bench -- [decide|check|layers|dns|telemetry|encode|proofs] [--sizes 10,1000,…] [--ms N] [--node-flags=…]`: runs benchmarks
 * and prints Markdown tables for BENCHMARKS.md. Run with `node --expose-gc` for meaningful heap
 * figures (the npm script does).
 */
import { parseArgs } from 'node:util';
import os from 'node:os';
import { runDecideBench } from './decide.bench';
import { runCheckLoadBench } from './check-load.bench';
import { runLayersBench } from './layers.bench';
import { runDnsBench } from './dns.bench';
import { runTelemetryBench } from './telemetry.bench';
import { runEncodeBench } from './encode.bench';
import { runProofsBench } from './proofs.bench';

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
    options: { sizes: { type: 'string' }, ms: { type: 'string' }, 'node-flags': { type: 'string' } },
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
    } else if (name === 'check') {
      // `--node-flags=--max-semi-space-size=32` passes V8 flags to both server processes.
      const nodeFlags = values['node-flags']?.split(' ').filter((f) => f !== '');
      const report = await runCheckLoadBench(nodeFlags ? { nodeFlags } : {});
      console.log(`\n## check\n\n${table(report.summary)}\n\n${table(report.sweep)}\n`);
      for (const note of report.notes) console.log(`- ${note}`);
    } else if (name === 'layers') {
      const row = runLayersBench(undefined, values.ms ? Number(values.ms) : undefined);
      console.log(`\n## layers\n\n${table([row as unknown as Record<string, unknown>])}`);
    } else if (name === 'dns') {
      const rows = await runDnsBench(values.ms ? { ms: Number(values.ms) } : {});
      console.log(`\n## dns\n\n${table(rows as unknown as Record<string, unknown>[])}`);
    } else if (name === 'telemetry') {
      const rows = await runTelemetryBench();
      console.log(`\n## telemetry\n\n${table(rows as unknown as Record<string, unknown>[])}`);
    } else if (name === 'encode') {
      const rows = runEncodeBench();
      console.log(`\n## encode\n\n${table(rows as unknown as Record<string, unknown>[])}`);
    } else if (name === 'proofs') {
      const rows = await runProofsBench(values.ms ? { ms: Number(values.ms) } : {});
      console.log(`\n## proofs\n\n${table(rows as unknown as Record<string, unknown>[])}`);
    } else {
      throw new Error(
        `unknown benchmark "${name}" (known: decide, check, layers, dns, telemetry, encode, proofs)`,
      );
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
