import { parseDocuments } from './documents';
import type { EgressGateway } from './types';
import { validateDocuments } from './validate';

function gateway(spec: string): ReturnType<typeof validateDocuments> {
  const text = `apiVersion: egress.portcullis.dev/v1alpha1\nkind: EgressGateway\nmetadata:\n  name: g\nspec:\n${spec}`;
  return validateDocuments(parseDocuments('g.yaml', text).docs);
}

const oneListener = '  listeners:\n    - name: out\n      protocol: TCP\n';

describe('EgressGateway', () => {
  it('fills in deny-all, enforce and the SSRF guard', () => {
    const { resources, issues } = gateway(oneListener);
    expect(issues).toEqual([]);
    expect(resources[0]).toMatchObject({
      kind: 'EgressGateway',
      defaultPolicy: 'deny-all',
      mode: 'enforce',
      ssrfGuard: true,
      listeners: [{ name: 'out', protocol: 'TCP' }],
    });
  });

  it('takes allow-all, shadow, ssrfGuard false, ports and TLS modes', () => {
    const { resources, issues } = gateway(
      [
        '  defaultPolicy: allow-all',
        '  mode: shadow',
        '  ssrfGuard: false',
        '  listeners:',
        '    - { name: a, protocol: HTTPS, port: 8443, tls: { mode: Terminate } }',
        '    - { name: b, protocol: TLS, tls: { mode: Passthrough } }',
        '    - { name: c, protocol: UDP, port: 53 }',
        '',
      ].join('\n'),
    );
    expect(issues).toEqual([]);
    const gw = resources[0] as EgressGateway;
    expect([gw.defaultPolicy, gw.mode, gw.ssrfGuard]).toEqual(['allow-all', 'shadow', false]);
    expect(gw.listeners).toEqual([
      { name: 'a', protocol: 'HTTPS', port: 8443, tlsMode: 'Terminate' },
      { name: 'b', protocol: 'TLS', tlsMode: 'Passthrough' },
      { name: 'c', protocol: 'UDP', port: 53 },
    ]);
  });

  it('warns about CLRK data-plane fields and still loads', () => {
    const { resources, issues } = gateway(
      [
        '  otlp: { endpoint: collector:4317 }',
        '  upstreamTLS: {}',
        '  dns: { lookupFamily: V4Only }',
        '  requestTimeout: 5m',
        '  listeners:',
        '    - name: out',
        '      protocol: TLS',
        '      allowedRoutes: { namespaces: { from: Same } }',
        '      tls: { mode: Terminate, caCertRef: { name: ca } }',
        '',
      ].join('\n'),
    );
    expect(resources).toHaveLength(1);
    expect(issues.map((i) => [i.severity, i.code, i.path])).toEqual([
      ['warning', 'POLICY_IGNORED_FIELD', 'spec.otlp'],
      ['warning', 'POLICY_IGNORED_FIELD', 'spec.upstreamTLS'],
      ['warning', 'POLICY_IGNORED_FIELD', 'spec.dns'],
      ['warning', 'POLICY_IGNORED_FIELD', 'spec.requestTimeout'],
      ['warning', 'POLICY_IGNORED_FIELD', 'spec.listeners[0].allowedRoutes'],
      ['warning', 'POLICY_IGNORED_FIELD', 'spec.listeners[0].tls.caCertRef'],
    ]);
  });

  it.each([
    ['defaultPolicy: deny', 'POLICY_INVALID_VALUE', 'spec.defaultPolicy'],
    ['mode: audit', 'POLICY_INVALID_VALUE', 'spec.mode'],
    ['ssrfGuard: "no"', 'POLICY_WRONG_TYPE', 'spec.ssrfGuard'],
  ])('rejects %s', (line, code, path) => {
    const { resources, issues } = gateway(`  ${line}\n${oneListener}`);
    expect(resources).toEqual([]);
    expect(issues.map((i) => [i.code, i.path])).toEqual([[code, path]]);
  });

  it('reports every listener problem at once', () => {
    const { issues } = gateway(
      [
        '  listeners:',
        '    - name: Out_1',
        '      protocol: tcp',
        '      port: 0',
        '    - protocol: TCP',
        '      tls: { mode: Terminate }',
        '',
      ].join('\n'),
    );
    expect(issues.map((i) => [i.code, i.path, i.fix])).toEqual([
      ['POLICY_INVALID_NAME', 'spec.listeners[0].name', undefined],
      ['POLICY_INVALID_VALUE', 'spec.listeners[0].protocol', 'write `TCP`'],
      ['POLICY_INVALID_PORT', 'spec.listeners[0].port', undefined],
      ['POLICY_MISSING_FIELD', 'spec.listeners[1].name', undefined],
      ['POLICY_INVALID_VALUE', 'spec.listeners[1].tls', 'remove `tls`, or set `protocol: TLS`'],
    ]);
  });

  it('allows a gateway without listeners: Envoy owns the sockets', () => {
    expect(gateway('  mode: shadow\n').resources[0]).toMatchObject({ mode: 'shadow', listeners: [] });
    expect(gateway('  listeners: []\n').issues).toEqual([]);
  });

  it('needs a mode when tls is given', () => {
    const noMode = gateway('  listeners:\n    - { name: a, protocol: TLS, tls: {} }\n');
    expect(noMode.issues.map((i) => [i.code, i.path])).toEqual([
      ['POLICY_MISSING_FIELD', 'spec.listeners[0].tls.mode'],
    ]);
  });
});
