/** Where commands write; injected so tests read what a user would see. */
export interface CommandIo {
  out(line: string): void;
  err(line: string): void;
}

/**
 * A reader that goes away early (`portcullis check … | head -1`) makes the next write fail with
 * EPIPE, which Node reports as an 'error' event: unhandled, it ends the process with a stack
 * trace. Output nobody reads is not a failure of the command, so a closed pipe only stops further
 * writes to it; the command finishes and exits with its own code. Any other write error (a full
 * disk under `> file`) is a real failure: it is kept for `outputFailure` so the exit code says so.
 */
let failure: Error | undefined;

function createGuardedWriter(stream: NodeJS.WriteStream): (line: string) => void {
  let open = true;
  let guarded = false;
  const onError = (err: NodeJS.ErrnoException): void => {
    open = false;
    if (err.code !== 'EPIPE' && failure === undefined) failure = err;
  };
  return (line) => {
    if (!guarded) {
      guarded = true;
      stream.on('error', onError);
    }
    if (!open || stream.destroyed) return;
    stream.write(`${line}\n`);
  };
}

/** A write to stdout or stderr that failed for another reason than a closed pipe. */
export function outputFailure(): Error | undefined {
  return failure;
}

export const processIo: CommandIo = {
  out: createGuardedWriter(process.stdout),
  err: createGuardedWriter(process.stderr),
};
