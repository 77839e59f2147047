// The TypeScript host's imports run one way (checked by `node scripts/lint-ts.mjs`, the first
// step of `npm test`, with dependency-cruiser):
//
//   core  <-  engine  <-  engine/node          (the shared driver, then Node's transports)
//     ^         ^             ^
//     +------  api  ----------+                (api/safe.ts is Node's entry; the rest is shared)
//               ^
//     browser   relay   cli   testnet           (the hosts and tools on top; cli uses them all)
//
// No file imports in a cycle, nothing imports the CLI, and the browser's modules never reach
// Node's (esbuild also refuses a `node:` import in the browser bundle: scripts/build-browser.mjs).
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'imports run one way: no cycle between modules', from: { path: '^host/' }, to: { circular: true } },
    {
      name: 'core-is-the-base',
      severity: 'error',
      comment: 'host/core (errors, lock, contacts, debug) imports nothing else of the host',
      from: { path: '^host/core/' },
      to: { path: '^host/(api|engine|browser|relay|cli|testnet)/' },
    },
    {
      name: 'engine-below-api',
      severity: 'error',
      comment: 'the engine drives the component; it knows nothing of the API or the hosts on top',
      from: { path: '^host/engine/' },
      to: { path: '^host/(api|browser|relay|cli|testnet)/' },
    },
    {
      name: 'shared-engine-not-node',
      severity: 'error',
      comment: "the shared engine (driver, protocol, gate) does not import Node's transports",
      from: { path: '^host/engine/[^/]+$' },
      to: { path: '^host/engine/node/' },
    },
    {
      name: 'api-below-hosts',
      severity: 'error',
      comment: 'the API is used by the hosts and tools, never the other way round',
      from: { path: '^host/api/' },
      to: { path: '^host/(browser|relay|cli|testnet)/' },
    },
    {
      name: 'shared-api-not-node',
      severity: 'error',
      comment: "the shared API (all of host/api but Node's entry and its file helpers) does not import Node's engine",
      from: { path: '^host/api/', pathNot: '^host/api/(safe|download|local-files)\\.ts$' },
      to: { path: '^host/engine/node/' },
    },
    {
      name: 'browser-not-node',
      severity: 'error',
      comment: "the browser host uses the shared API and engine, never Node's parts",
      from: { path: '^host/browser/' },
      to: { path: '^host/(engine/node|cli|testnet)/|^host/api/(safe|download|local-files)\\.ts$|^host/relay/server\\.ts$' },
    },
    {
      name: 'relay-below-cli',
      severity: 'error',
      comment: 'the relay is a library the CLI starts',
      from: { path: '^host/relay/' },
      to: { path: '^host/(cli|browser|testnet)/' },
    },
    {
      name: 'testnet-on-core',
      severity: 'error',
      comment: 'the testnet launcher starts node processes; it needs only core',
      from: { path: '^host/testnet/' },
      to: { path: '^host/(api|engine|browser|relay|cli)/' },
    },
    {
      name: 'nothing-imports-cli',
      severity: 'error',
      comment: 'the CLI is the top: nothing imports it',
      from: { path: '^host/', pathNot: '^host/cli/' },
      to: { path: '^host/cli/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules|^pkg/' },
    exclude: { path: '^pkg/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.check.json' },
  },
};
