#!/usr/bin/env -S node --max-semi-space-size=32
/**
 * The `portcullis` command. Composition root: the only place that wires sources, engine, adapters
 * and telemetry together (STYLE.md layout).
 */
import { checkCommand, CHECK_USAGE } from './check-command';
import { validateCommand, VALIDATE_USAGE } from './validate-command';
import { serveCommand, SERVE_USAGE } from './serve-command';
import { importCommand, IMPORT_USAGE } from './import-command';
import { hashKeyCommand, HASH_KEY_USAGE } from './hash-key-command';
import { UsageError } from './usage-error';
import { processIo, type CommandIo } from './io';

const COMMANDS: Record<
  string,
  { usage: string; run: (args: readonly string[], io: CommandIo) => Promise<number> }
> = {
  serve: { usage: SERVE_USAGE, run: serveCommand },
  validate: { usage: VALIDATE_USAGE, run: validateCommand },
  check: { usage: CHECK_USAGE, run: checkCommand },
  import: { usage: IMPORT_USAGE, run: importCommand },
  'hash-key': { usage: HASH_KEY_USAGE, run: (args, io) => hashKeyCommand(args, io) },
};

function usage(): string {
  return ['usage:', ...Object.values(COMMANDS).map((c) => `  ${c.usage}`)].join('\n');
}

export async function main(argv: readonly string[], io: CommandIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`portcullis: unknown command "${name}"\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`portcullis ${name}: ${err.message}\nusage: ${command.usage}`);
      return 2;
    }
    io.err(`portcullis ${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 2;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      // `serve` keeps running and sets the exit code itself when it stops.
      if (code >= 0) process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`portcullis: ${String(err)}\n`);
      process.exitCode = 2;
    },
  );
}
