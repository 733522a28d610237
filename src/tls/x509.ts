/**
 * The one module that loads @peculiar/x509. Its dependency-injection container needs the
 * `reflect-metadata` polyfill installed before the library's first import, and its crypto provider
 * is a process-wide setting: both happen here, once, so every other module imports `x509` from this
 * file and never from the package.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509, webcrypto };
