/**
 * Which names a certificate may be minted for: the SNI a TLS client sent, as Envoy's SNI mapper
 * passes it on. A host name (RFC 1123 labels, at most 253 characters, lower-cased) or an IP literal
 * (some clients put the address they dial in the SNI; the leaf then carries an IP SAN instead).
 *
 * A wildcard is never accepted: an SNI names one host, so `*.example.com` can only be a made-up
 * request, and a wildcard leaf would be valid for every sibling the policy was never asked about.
 */
import { isIPv4, isIPv6 } from 'node:net';

export type CertificateName =
  { readonly kind: 'dns'; readonly name: string } | { readonly kind: 'ip'; readonly name: string };

/** Thrown for a name no certificate is minted for; the message says why. */
export class InvalidCertificateNameError extends Error {
  override readonly name = 'InvalidCertificateNameError';
}

/** RFC 1035 §2.3.4: 255 octets on the wire is 253 characters of text. */
const MAX_NAME = 253;
const MAX_LABEL = 63;
const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const NUMERIC = /^[0-9]+$/;

/** The name to put in the certificate, or an InvalidCertificateNameError saying what is wrong. */
export function parseCertificateName(text: string): CertificateName {
  if (text.length === 0) throw new InvalidCertificateNameError('the name is empty');
  if (text.length > MAX_NAME) {
    throw new InvalidCertificateNameError(`the name is longer than ${MAX_NAME} characters`);
  }
  if (isIPv4(text)) return { kind: 'ip', name: text };
  // A bracketed or zoned IPv6 is not how an SNI or an address in a SAN is written.
  if (isIPv6(text) && !text.includes('%')) return { kind: 'ip', name: text.toLowerCase() };
  const name = text.toLowerCase();
  if (name.includes('*')) {
    throw new InvalidCertificateNameError(
      `${show(text)} is a wildcard; a TLS client names one host, never a pattern`,
    );
  }
  if (name.endsWith('.')) {
    throw new InvalidCertificateNameError(`${show(text)} ends with a dot, which an SNI never does`);
  }
  const labels = name.split('.');
  for (const label of labels) {
    if (label.length === 0) throw new InvalidCertificateNameError(`${show(text)} has an empty label`);
    if (label.length > MAX_LABEL) {
      throw new InvalidCertificateNameError(`${show(text)} has a label longer than ${MAX_LABEL} characters`);
    }
    if (!LABEL.test(label)) {
      throw new InvalidCertificateNameError(
        `${show(text)} is not a host name: labels are letters, digits and inner hyphens (RFC 1123)`,
      );
    }
  }
  if (NUMERIC.test(labels[labels.length - 1]!)) {
    throw new InvalidCertificateNameError(
      `${show(text)} ends in a number, so it is neither a name nor an address`,
    );
  }
  return { kind: 'dns', name };
}

/** Quoted and cut short, so a hostile SNI cannot fill a log line or an error message. */
function show(text: string): string {
  const cut = text.length > 80 ? `${text.slice(0, 80)}…` : text;
  return JSON.stringify(cut);
}
