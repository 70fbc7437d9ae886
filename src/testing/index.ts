/**
 * `rx-kinesumer/testing`: real Kinesis and DynamoDB emulators for your own tests, started on free
 * ports and stopped by pid; this project's tests and demo use the same launcher.
 *
 * Needs the emulators installed as dev dependencies: `npm i -D kinesis-local dynalite`.
 *
 * ## Example
 * ```ts
 * import { startKinesisLocal, startDynalite, localAws } from 'rx-kinesumer/testing';
 * const [kinesis, dynamo] = await Promise.all([startKinesisLocal(), startDynalite()]);
 * const consumer = createKinesumer({
 *   app: 'test',
 *   kinesis: { endpoint: kinesis.endpoint, ...localAws, http1: true },
 *   stateStore: { table: 'state', endpoint: dynamo.endpoint, ...localAws },
 * });
 * // ... and in an after-hook: await Promise.all([kinesis.stop(), dynamo.stop()]);
 * ```
 * @packageDocumentation
 */
export { startKinesisLocal, startDynalite, freePort, localAws } from './emulators.js';
export type { Emulator, KinesisLocalOptions } from './emulators.js';
