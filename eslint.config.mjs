// Lint rules, including the import boundaries of docs/architecture.md: policy, compile and engine
// are pure (no IO, nothing from the outer rings); decide joins them to identity and nothing else;
// adapters (grpc, admin, dns) never reach into sources.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const io = [
  'node:fs',
  'node:fs/promises',
  'fs',
  'node:net',
  'net',
  'node:dgram',
  'node:http',
  'node:http2',
  'node:child_process',
  'node:dns',
];
const outer = [
  'decide',
  'sources',
  'dns',
  'grpc',
  'admin',
  'telemetry',
  'store',
  'cli',
  'config',
  'identity',
];

function boundary(dir, forbiddenDirs, forbiddenModules = []) {
  return {
    files: [`src/${dir}/**/*.ts`],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: forbiddenModules.map((name) => ({ name, message: `src/${dir} is pure: no IO here.` })),
          patterns: forbiddenDirs.map((d) => ({
            group: [`../${d}`, `../${d}/*`, `../../${d}`, `../../${d}/*`],
            message: `src/${dir} must not import from src/${d} (see docs/architecture.md, "Rings").`,
          })),
        },
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'compose/**', 'envoy/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        console: 'readonly',
        __dirname: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'always'],
      'no-console': 'off',
    },
  },
  { files: ['**/*.js', '**/*.mjs'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
  boundary('policy', ['compile', 'engine', ...outer], io),
  boundary('compile', ['engine', ...outer], io),
  boundary('engine', outer, io),
  // The decider does IO (a bounded lookup through an injected resolver) but knows no adapter, source,
  // store or telemetry: everything it needs arrives as a dependency (src/decide/decider.ts).
  boundary('decide', ['grpc', 'admin', 'dns', 'cli', 'sources', 'telemetry', 'store']),
  boundary('grpc', ['sources', 'admin', 'dns', 'cli']),
  boundary('admin', ['grpc', 'dns', 'cli']),
  boundary('dns', ['grpc', 'admin', 'sources', 'cli']),
  boundary('sources', ['grpc', 'admin', 'dns', 'engine', 'cli']),
  {
    // On Node 20 every object made by an object spread gets a hidden class of its own, so objects
    // built in bulk (resources, compiled layers) or per request that way make property reads on
    // them megamorphic. Use `extend` (src/policy/extend.ts) or a literal listing every key. Banned
    // where objects are made per resource or per request; one-off configuration may spread.
    files: [
      'src/{policy,compile,engine,identity}/**/*.ts',
      'src/grpc/authz/**/*.ts',
      'src/dns/{query-handler,query-parse}.ts',
      'src/store/decision-event.ts',
    ],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ObjectExpression > SpreadElement',
          message:
            'object spread gives every result its own hidden class on Node 20; use extend() from src/policy/extend.ts or list the keys',
        },
      ],
    },
  },
);
