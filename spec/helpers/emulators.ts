// The emulator launcher is shared with the demo (examples/demo.ts).
export * from '../../examples/support/emulators.js';
