// Which part of the code may import which: `npm run lint` runs this (dependency-cruiser).
// CONTRIBUTING.md ("Dependencies") explains each arrow; change the two together.

/** The parts, by path; no file is in two. */
const PARTS = {
  // The error catalogue and the JSON guard: everything may use them, they use nothing.
  base: '^src/(errors\\.ts|error-codes/|json-depth\\.ts)',
  config: '^src/config/',
  net: '^src/net/',
  store: '^src/store/',
  logging: '^src/logging/',
  workspace: '^src/workspace/',
  monitoring: '^src/monitoring/',
  runtime: '^src/runtime/',
  agent: '^src/agent/',
  ops: '^src/ops/',
  client: '^src/client/',
  // The page runs in the browser; the rest of src/dashboard serves it.
  'dashboard/ui': '^src/dashboard/ui/',
  dashboard: '^src/dashboard/(?!ui/)',
  orchestrator: '^src/orchestrator/',
  deploy: '^src/deploy/',
  cli: '^src/cli/',
  functions: '^functions/',
  vscode: '^extensions/vscode/',
};

/** Single files and groups some parts may reach into, beside whole parts. */
const TARGETS = {
  ...PARTS,
  // The run API's request and response schemas: the contract its clients share.
  'api schemas': '^src/orchestrator/api/schemas[^/]*\\.ts$',
  'approval policy': '^src/agent/approval/policy\\.ts$',
  'runtime contract': '^src/runtime/contract\\.ts$',
  // The thread id rule and workspace confinement: what the steps and tools share with the API.
  'thread folders': '^src/workspace/(thread-id|confine)\\.ts$',
  // The CLI's wording of a run, which the extension's output channel shows too.
  'cli run wording': '^src/cli/run-progress\\.ts$',
  'vscode packager': '^extensions/vscode/package-extension\\.ts$',
  'server code': '^src/(?!dashboard/ui/)',
  'any src': '^src/',
};

/**
 * What each part may import besides itself, `base`, npm packages and Node's built-ins. `types`
 * are imported for their types only (`import type`), which bundles nothing.
 */
const ALLOWED = {
  base: {},
  config: {},
  net: {},
  store: {},
  logging: { may: ['config'] },
  workspace: { may: ['net'] },
  monitoring: { may: ['logging', 'config'] },
  // store: the host keeps completed replies in the orchestrators' database for the other hosts.
  runtime: { may: ['store', 'monitoring', 'logging', 'config'] },
  agent: { may: ['runtime', 'monitoring', 'config', 'thread folders'] },
  ops: { may: ['workspace', 'config'] },
  client: { may: ['api schemas', 'workspace', 'config'], types: ['agent'] },
  'dashboard/ui': { may: ['client', 'approval policy'], types: ['any src'] },
  dashboard: { may: ['logging'] },
  orchestrator: {
    may: [
      'dashboard',
      'agent',
      'runtime',
      'store',
      'workspace',
      'net',
      'monitoring',
      'logging',
      'config',
    ],
  },
  deploy: { may: ['agent', 'runtime', 'store', 'monitoring', 'logging', 'config'] },
  functions: { may: ['agent', 'runtime contract', 'workspace', 'config'] },
  cli: { may: ['server code', 'vscode packager'] },
  vscode: { may: ['client', 'api schemas', 'cli run wording'] },
};

const pathOf = (name) => {
  const path = TARGETS[name];
  if (path === undefined) throw new Error(`.dependency-cruiser.js: no part "${name}"`);
  return path;
};

/** One rule a part: it imports nothing outside its row (npm packages and Node's built-ins aside). */
const layers = Object.entries(ALLOWED).flatMap(([part, { may = [], types = [] }]) => {
  const own = [PARTS[part], PARTS.base, '^node_modules/', ...may.map(pathOf)];
  const words = [...may, ...types.map((name) => `${name} (types only)`), 'base'].join(', ');
  const rule = {
    name: `layer-${part}`,
    comment: `${part} may import ${words}: see "Dependencies" in CONTRIBUTING.md.`,
    severity: 'error',
    from: { path: PARTS[part] },
  };
  return [
    { ...rule, to: { pathNot: [...own, ...types.map(pathOf)], dependencyTypesNot: ['core'] } },
    ...(types.length === 0
      ? []
      : [
          {
            ...rule,
            to: { path: types.map(pathOf), pathNot: own, dependencyTypesNot: ['type-only'] },
          },
        ]),
  ];
});

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-circular',
      comment:
        'An import cycle (type-only imports count): move what both need into a module of its own.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-server-to-dashboard-ui',
      comment: "src/dashboard/ui/ is the browser's code (lib dom): server code must not import it.",
      severity: 'error',
      from: { pathNot: PARTS['dashboard/ui'] },
      to: { path: PARTS['dashboard/ui'] },
    },
    {
      name: 'no-node-in-dashboard-ui',
      comment: "The page runs in the browser: Node's built-in modules are not there.",
      severity: 'error',
      from: { path: PARTS['dashboard/ui'] },
      to: { dependencyTypes: ['core'] },
    },
    ...layers,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist)/' },
    // Type-only imports are dependencies too: they make cycles and cross layers all the same.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // Resolves packages' subpath exports (hono/body-limit) as Node does.
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.d.ts'],
    },
  },
};
