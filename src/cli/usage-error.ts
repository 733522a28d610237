import { PortcullisError } from '../errors/portcullis-error';

/** A mistake in how a command was called: main prints it with the usage line and exits 2. */
export function usageError(message: string): PortcullisError {
  return new PortcullisError('usage', message);
}
