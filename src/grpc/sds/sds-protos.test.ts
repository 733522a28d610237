/**
 * Holds the trimmed SDS protos to Envoy's own files (the copy @grpc/grpc-js-xds ships): every field
 * kept has the upstream number, type, label, map key and oneof, and the service has the upstream
 * methods with the upstream stream shapes. Dropping a field is fine (it is skipped on decode);
 * renumbering or retyping one would change the bytes on the wire.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as protobuf from 'protobufjs';

import { ENVOY_API_ROOTS, lookupMessage } from '../../../test/support/envoy-api';
import { PROTOS_DIR } from '../protos';
import { secretDiscoveryServiceDefinition } from './sds-protos';

const TRIMMED_FILES = [
  'envoy/service/secret/v3/sds.proto',
  'envoy/service/discovery/v3/discovery.proto',
  'envoy/extensions/transport_sockets/tls/v3/secret.proto',
  'envoy/extensions/transport_sockets/tls/v3/common.proto',
  'envoy/config/core/v3/base.proto',
];

const MESSAGES = [
  'envoy.service.discovery.v3.DiscoveryRequest',
  'envoy.service.discovery.v3.DiscoveryResponse',
  'envoy.service.discovery.v3.DeltaDiscoveryRequest',
  'envoy.service.discovery.v3.DeltaDiscoveryResponse',
  'envoy.service.discovery.v3.Resource',
  'envoy.extensions.transport_sockets.tls.v3.Secret',
  'envoy.extensions.transport_sockets.tls.v3.TlsCertificate',
  'envoy.config.core.v3.Node',
  'envoy.config.core.v3.DataSource',
];

function loadRoot(roots: readonly string[], files: readonly string[]): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    for (const dir of roots) {
      const candidate = join(dir, target);
      if (existsSync(candidate)) return candidate;
    }
    return target;
  };
  root.loadSync(files as string[], { keepCase: true });
  root.resolveAll();
  return root;
}

/** What decides a field's bytes: number, wire type (from the type), label, map key and oneof. */
function shape(field: protobuf.Field): Record<string, unknown> {
  const type = field.resolvedType !== null ? field.resolvedType.fullName : field.type;
  return {
    id: field.id,
    type,
    repeated: field.repeated,
    map: field instanceof protobuf.MapField ? field.keyType : undefined,
    oneof: field.partOf?.name,
  };
}

const trimmed = loadRoot([PROTOS_DIR], TRIMMED_FILES);

describe('the trimmed SDS protos match upstream', () => {
  it.each(MESSAGES)('%s', (name) => {
    const ours = trimmed.lookupType(name);
    const upstream = lookupMessage(name);
    expect(upstream).toBeDefined();
    expect(Object.keys(ours.fields).length).toBeGreaterThan(0);
    for (const field of Object.values(ours.fields)) {
      const theirs = upstream!.fields[field.name];
      expect({ field: field.name, ...(theirs === undefined ? {} : shape(theirs)) }).toEqual({
        field: field.name,
        ...shape(field),
      });
    }
  });

  it('SecretDiscoveryService has the upstream methods and stream shapes', () => {
    lookupMessage('envoy.service.discovery.v3.DiscoveryRequest'); // registers descriptor.proto
    const upstream = loadRoot(ENVOY_API_ROOTS, ['envoy/service/secret/v3/sds.proto']).lookupService(
      'envoy.service.secret.v3.SecretDiscoveryService',
    );
    const ours = trimmed.lookupService('envoy.service.secret.v3.SecretDiscoveryService');
    const methods = (s: protobuf.Service) =>
      Object.values(s.methods).map((m) => ({
        name: m.name,
        request: m.resolvedRequestType?.fullName,
        response: m.resolvedResponseType?.fullName,
        requestStream: m.requestStream === true,
        responseStream: m.responseStream === true,
      }));
    expect(methods(ours)).toEqual(methods(upstream));
  });

  it('the loaded definition serves the upstream paths', () => {
    expect(
      Object.values(secretDiscoveryServiceDefinition)
        .map((m) => m.path)
        .sort(),
    ).toEqual([
      '/envoy.service.secret.v3.SecretDiscoveryService/DeltaSecrets',
      '/envoy.service.secret.v3.SecretDiscoveryService/FetchSecrets',
      '/envoy.service.secret.v3.SecretDiscoveryService/StreamSecrets',
    ]);
  });

  it('the comparison catches a renumbered field', () => {
    const wrong = protobuf.parse(
      'syntax = "proto3"; package envoy.service.discovery.v3; message Resource { string name = 4; }',
      { keepCase: true },
    ).root;
    const field = wrong.lookupType('envoy.service.discovery.v3.Resource').fields['name']!;
    const theirs = lookupMessage('envoy.service.discovery.v3.Resource')!.fields['name']!;
    expect(shape(field)).not.toEqual(shape(theirs));
  });
});
