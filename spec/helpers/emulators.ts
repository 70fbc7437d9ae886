// The emulator launcher is part of the package (rx-kinesumer/testing); the tests use it as users do.
export * from '../../src/testing/emulators.js';
