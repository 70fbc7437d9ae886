import type { TestFn } from 'ava';
import { createStateTable } from '../../src/state-store/dynamodb/create-table.js';
import { localDynamoClient } from './aws-fixtures.js';
import { startDynalite, startKinesisLocal, type Emulator } from './emulators.js';

/** What an integration test file's context holds: its own emulators. */
export interface EmulatorContext {
  kinesis: Emulator;
  dynamo: Emulator;
}

/**
 * Starts kinesis-local and dynalite for one test file (on free ports) before its tests, creates
 * the state-store `table` when given, and stops both after them, also when a test failed.
 */
export function withEmulators(test: TestFn<EmulatorContext>, table?: string): void {
  test.before(async (t) => {
    const [kinesis, dynamo] = await Promise.all([startKinesisLocal(), startDynalite()]);
    t.context = { kinesis, dynamo };
    if (table !== undefined) await createStateTable(localDynamoClient(dynamo.endpoint), table);
  });
  test.after.always(async (t) => {
    await Promise.all([t.context.kinesis?.stop(), t.context.dynamo?.stop()]);
  });
}
