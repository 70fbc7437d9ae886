/**
 * `rx-kinesumer/testing`: tools for your own tests.
 *
 * - {@link FakeKinesis}: an in-memory Kinesis for marble tests on virtual time (no process, no
 *   network): streams, records routed by partition key, splits and merges, and when each shard's
 *   reader started and stopped. Use it with `MemoryStateStore` and a `TestScheduler`.
 * - `startKinesisLocal()` and `startDynalite()`: the real emulators this project's tests and demo
 *   run against, started on free ports and stopped by pid. They need the emulators installed as
 *   dev dependencies (`npm i -D kinesis-local@^0.6.2 dynalite@^4`); importing this entry point
 *   without them is fine.
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
export { FakeKinesis } from './fake-kinesis.js';
export type { FakeCall, FakeFailure, FakeKinesisOptions, FakePutRecord, FakePutResult, FakeShardDescription, ReaderLog } from './fake-kinesis.js';
export { startKinesisLocal, startDynalite, freePort, localAws } from './emulators.js';
export type { Emulator, KinesisLocalOptions } from './emulators.js';
