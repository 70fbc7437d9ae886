// The emulator launcher is part of the package: rx-kinesumer/testing.
export * from '../../src/testing/emulators.js';
