/**
 * A missing table stops the group with a clear error; a missing stream is reported on errors$
 * while the other streams go on. Against real kinesis-local and dynalite.
 */
import anyTest, { type TestFn } from 'ava';
import { firstValueFrom, lastValueFrom, filter, take, timeout, toArray } from 'rxjs';
import { StreamNotFoundError, TableNotFoundError } from '../../src/errors.js';
import { createKinesumer } from '../../src/index.js';
import { createStream, localKinesisClient, putRecords, uniqueName } from '../helpers/aws-fixtures.js';
import { localAws } from '../helpers/emulators.js';
import { withEmulators, type EmulatorContext } from '../helpers/with-emulators.js';

const test = anyTest as TestFn<EmulatorContext>;

withEmulators(test, 'state');

const config = (t: { context: EmulatorContext }, table: string) => ({
  app: 'missing',
  kinesis: { endpoint: t.context.kinesis.endpoint, ...localAws, http1: true },
  stateStore: { table, endpoint: t.context.dynamo.endpoint, ...localAws },
  initialPosition: 'TRIM_HORIZON' as const,
  group: { syncInterval: 300, clientTimeout: 3000 },
});

test('a missing state-store table fails the record stream with a TableNotFoundError naming table and endpoint', async (t) => {
  const consumer = createKinesumer(config(t, 'no-such-table'));
  const err = await t.throwsAsync(lastValueFrom(consumer.consume(['anything']).pipe(timeout(10_000))));
  t.true(err instanceof TableNotFoundError, String(err));
  t.regex(err!.message, /"no-such-table"/);
  t.true(err!.message.includes(t.context.dynamo.endpoint), err!.message);
  await consumer.close();
});

test('a missing stream is reported on errors$ with its name, and the other stream is still consumed', async (t) => {
  const client = localKinesisClient(t.context.kinesis.endpoint);
  const stream = uniqueName('present');
  await createStream(client, stream, 1);
  await putRecords(client, stream, 'x', 5);
  const consumer = createKinesumer(config(t, 'state'));
  const reported = firstValueFrom(consumer.errors$.pipe(filter((e) => e instanceof StreamNotFoundError)));
  const records = lastValueFrom(consumer.consume([stream, 'no-such-stream']).pipe(take(5), toArray(), timeout(15_000)));
  const err = (await reported) as StreamNotFoundError;
  t.is(err.stream, 'no-such-stream');
  t.regex(err.message, /"no-such-stream" was not found/);
  t.deepEqual((await records).map((r) => r.stream), Array(5).fill(stream));
  await consumer.close();
});
