/** A certificate as the `Secret` Envoy reads: the chain and key inline, named as Envoy asked. */
import { SECRET_TYPE_URL, type SecretAny } from './sds-protos';
import type { TlsSecretMaterial } from './service-types';

interface Encoded {
  readonly chain: Buffer;
  readonly key: Buffer;
}

/** One certificate goes to many streams and names: encode its PEM once. */
const encoded = new WeakMap<TlsSecretMaterial, Encoded>();

/**
 * The secret's name is the resource name exactly as requested (Envoy matches on it), even when the
 * certificate was minted for its lower-case form.
 */
export function secretResource(name: string, material: TlsSecretMaterial): SecretAny {
  let bytes = encoded.get(material);
  if (bytes === undefined) {
    bytes = {
      chain: Buffer.from(material.certificateChainPem, 'utf8'),
      key: Buffer.from(material.privateKeyPem, 'utf8'),
    };
    encoded.set(material, bytes);
  }
  return {
    '@type': SECRET_TYPE_URL,
    name,
    tls_certificate: {
      certificate_chain: { inline_bytes: bytes.chain },
      private_key: { inline_bytes: bytes.key },
    },
  };
}
