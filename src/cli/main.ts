#!/usr/bin/env -S node --max-semi-space-size=32
/**
 * The `portcullis` command. Composition root: the only place that wires sources, engine, adapters
 * and telemetry together (docs/architecture.md).
 */
import { checkCommand, CHECK_HELP } from './check-command';
import { validateCommand, VALIDATE_HELP } from './validate-command';
import { serveCommand, SERVE_HELP } from './serve-command';
import { importCommand, IMPORT_HELP } from './import-command';
import { hashKeyCommand, HASH_KEY_HELP } from './hash-key-command';
import { caCommand, CA_HELP } from './ca-command';
import { asksForHelp, formatCommandHelp, type CommandHelp } from './command-help';
import { PortcullisError } from '../errors/portcullis-error';
import { exitCodeOf } from '../errors/error-codes';
import { outputFailure, processIo, type CommandIo } from './io';

const COMMANDS: Record<
  string,
  { help: CommandHelp; run: (args: readonly string[], io: CommandIo) => Promise<number> }
> = {
  serve: { help: SERVE_HELP, run: serveCommand },
  validate: { help: VALIDATE_HELP, run: validateCommand },
  check: { help: CHECK_HELP, run: checkCommand },
  import: { help: IMPORT_HELP, run: importCommand },
  'hash-key': { help: HASH_KEY_HELP, run: (args, io) => hashKeyCommand(args, io) },
  ca: { help: CA_HELP, run: caCommand },
};

function usage(): string {
  return [
    'usage:',
    ...Object.values(COMMANDS).map((c) => `  ${c.help.usage}`),
    '',
    'portcullis COMMAND --help lists the options of one command.',
  ].join('\n');
}

/**
 * Exit codes: 0 success (allow), 1 a negative answer (deny, invalid policy), 2 usage error; a
 * PortcullisError exits with its code's exit code (src/errors/error-codes.ts).
 */
export async function main(argv: readonly string[], io: CommandIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    io.out(usage());
    return name === undefined ? exitCodeOf('usage') : 0;
  }
  if (name === 'help') {
    const topic = rest[0] === undefined ? undefined : COMMANDS[rest[0]];
    io.out(topic === undefined ? usage() : formatCommandHelp(topic.help));
    return rest[0] === undefined || topic !== undefined ? 0 : exitCodeOf('usage');
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`portcullis: unknown command "${name}"\n${usage()}`);
    return exitCodeOf('usage');
  }
  if (asksForHelp(rest)) {
    io.out(formatCommandHelp(command.help));
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof PortcullisError && (err.code === 'usage' || err.code === 'config_invalid')) {
      io.err(
        `portcullis ${name}: ${err.problems.join('\n  ')}\nusage: ${command.help.usage}\n(portcullis ${name} --help lists every option)`,
      );
      return err.exitCode;
    }
    if (err instanceof PortcullisError) {
      io.err(`portcullis ${name}: ${err.message}`);
      return err.exitCode;
    }
    // Not an error any code raises on purpose: a bug, shown with its stack.
    io.err(`portcullis ${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return exitCodeOf('internal_error');
  }
}

if (require.main === module) {
  // Write errors arrive as events after the last write; by exit every one has been reported.
  process.once('exit', () => {
    const failure = outputFailure();
    if (failure === undefined) return;
    process.stderr.write(`portcullis: could not write the output: ${failure.message}\n`);
    process.exitCode = 2;
  });
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
