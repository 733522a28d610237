import type { CommandHelp } from './command-help';
import type { CommandIo } from './io';
import { usageError } from './usage-error';
import { createCa } from '../tls/ca-files';

export const CA_USAGE = 'portcullis ca init DIR';

export const CA_HELP: CommandHelp = {
  usage: CA_USAGE,
  summary: [
    "Create the CA that signs the certificates Portcullis mints when Envoy ends agents' TLS",
    '(docs/tls-interception.md): DIR/ca.crt, which agents trust, and DIR/ca.key, which only',
    'Portcullis reads (serve --tls-ca-cert DIR/ca.crt --tls-ca-key DIR/ca.key). ECDSA P-256, valid',
    '10 years, able to sign server certificates only. Existing files are never overwritten.',
  ],
  operands: { DIR: 'where to write ca.crt (mode 0644) and ca.key (0600); created if missing' },
  flags: {},
  notes: [
    'exit codes: 0 created, 1 a CA already exists in DIR, 2 usage error or DIR not writable',
    'example:  portcullis ca init /etc/portcullis/ca',
  ],
};

/** `portcullis ca init DIR`: a new interception CA, and how agents come to trust it. */
export async function caCommand(args: readonly string[], io: CommandIo): Promise<number> {
  const [action, dir, ...rest] = args;
  if (action === undefined) throw usageError('say what to do: ca init DIR');
  if (action !== 'init') throw usageError(`unknown ca action "${action}" (the one action is init)`);
  if (dir === undefined || dir === '') throw usageError('name the directory to write the CA to: ca init DIR');
  if (dir.startsWith('-')) throw usageError(`unknown option ${dir}`);
  if (rest.length > 0) throw usageError(`ca init takes one directory, not also ${rest.join(' ')}`);

  const ca = await createCa(dir);
  io.out(
    [
      `created ${ca.subject.replace(/^CN=/, '').replace(/\\,/g, ',')}, valid until ${ca.notAfter.toISOString().slice(0, 10)}`,
      `  certificate  ${ca.certificateFile}   (give this to agents)`,
      `  key          ${ca.keyFile}   (only for Portcullis; never copy it into an agent)`,
      '',
      'Give Portcullis both:',
      `  portcullis serve … --tls-ca-cert ${ca.certificateFile} --tls-ca-key ${ca.keyFile}`,
      '',
      'Make agents trust it. Add it to the system store (Debian/Ubuntu; Alpine and Fedora have the same tool):',
      `  cp ${ca.certificateFile} /usr/local/share/ca-certificates/portcullis.crt && update-ca-certificates`,
      "then point runtimes that ignore the system store at it, in the agent's environment:",
      `  NODE_EXTRA_CA_CERTS=${ca.certificateFile}                 Node.js (added to its own bundle)`,
      "  REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt    Python requests (else certifi's bundle)",
      '  SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt         OpenSSL-based tools, Python ssl, Ruby',
      'Point REQUESTS_CA_BUNDLE and SSL_CERT_FILE at a bundle that holds both the public CAs and this',
      'one (the system bundle after update-ca-certificates): hosts exempt from interception still show',
      'their own certificates.',
    ].join('\n'),
  );
  return 0;
}
