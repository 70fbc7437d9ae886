// AVA 7 runs the TypeScript specs through tsx. Worker threads must be off, or the --import=tsx
// loader never reaches the test files (see ../shared/NOTES.md).
// The examples' specs import the package by its own name (`rx-kinesumer`, `rx-kinesumer/testing`),
// as users do; the `rx-kinesumer-source` condition of package.json `exports` maps those names to
// src/ here, so that the suite needs no build (the packed-tarball spec tests dist/).
export default {
  files: ['spec/**/*.spec.ts', 'examples/**/*.spec.ts'],
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx', '--no-warnings', '--conditions=rx-kinesumer-source'],
  workerThreads: false,
  // a worker exits once its file's results are in, whatever a failed test left running
  require: ['./spec/helpers/exit-when-done.ts'],
  timeout: '2m',
};
