// AVA 7 runs the TypeScript specs through tsx. Worker threads must be off, or the --import=tsx
// loader never reaches the test files (see ../shared/NOTES.md).
export default {
  files: ['spec/**/*.spec.ts'],
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx', '--no-warnings'],
  workerThreads: false,
  timeout: '2m',
};
