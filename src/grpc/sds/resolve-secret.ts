/**
 * What one requested secret name comes to: a certificate, a refusal (not a host name or IP, or the
 * policy says no), or a failure (authorize or mint threw). Checked in that order, so a name that is
 * not a name never reaches the policy, and nothing is minted for a name the policy refuses.
 */
import { InvalidCertificateNameError, parseCertificateName } from '../../tls/certificate-name';
import type { SdsCallContext, SecretDiscoveryOptions, TlsSecretMaterial } from './service-types';

export type SecretOutcome =
  | { readonly kind: 'secret'; readonly name: string; readonly material: TlsSecretMaterial }
  | { readonly kind: 'refused'; readonly name: string; readonly reason: string }
  | { readonly kind: 'failed'; readonly name: string; readonly error: unknown };

export async function resolveSecret(
  options: Pick<SecretDiscoveryOptions, 'authorize' | 'mint'>,
  name: string,
  context: SdsCallContext,
): Promise<SecretOutcome> {
  try {
    parseCertificateName(name);
  } catch (err) {
    if (err instanceof InvalidCertificateNameError) return { kind: 'refused', name, reason: err.message };
    return { kind: 'failed', name, error: err };
  }
  try {
    const verdict = await options.authorize(name, context);
    if (!verdict.ok) return { kind: 'refused', name, reason: verdict.reason };
  } catch (err) {
    return { kind: 'failed', name, error: err };
  }
  try {
    return { kind: 'secret', name, material: await options.mint(name) };
  } catch (err) {
    if (err instanceof InvalidCertificateNameError) return { kind: 'refused', name, reason: err.message };
    return { kind: 'failed', name, error: err };
  }
}
