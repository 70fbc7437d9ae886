/**
 * KPL aggregated records against kinesis-local and dynalite: user records come out one by one,
 * a corrupt aggregate is reported and delivered raw, and a restart in the middle of an aggregate
 * resumes at the next user record.
 */
import anyTest, { type TestFn } from 'ava';
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { filter, tap } from 'rxjs';
import { checkpoint } from '../../src/checkpoint/checkpoint.js';
import { CorruptAggregateError, type KinesumerError } from '../../src/errors.js';
import { createKinesumer } from '../../src/index.js';
import { silentLogger } from '../../src/logger.js';
import type { KinesumerRecord } from '../../src/record.js';
import { createStream, localKinesisClient, uniqueName, waitFor } from '../helpers/aws-fixtures.js';
import { localAws } from '../helpers/emulators.js';
import { withEmulators, type EmulatorContext } from '../helpers/with-emulators.js';
import { aggregateRecords } from '../helpers/kpl.js';

const test = anyTest as TestFn<EmulatorContext>;

withEmulators(test, 'state');

const text = (r: KinesumerRecord) => new TextDecoder().decode(r.data);

test('aggregates come out as user records, a corrupt one raw and reported; a restart resumes inside an aggregate', async (t) => {
  const client = localKinesisClient(t.context.kinesis.endpoint);
  const stream = uniqueName('kpl');
  await createStream(client, stream, 1);
  // given three aggregates of 10 user records each, a plain record, and a corrupt aggregate
  const user = (a: number, i: number) => ({ partitionKey: `key-${i % 3}`, data: `agg${a}-user${i}`, ...(i === 1 && { explicitHashKey: '123456789' }) });
  for (let a = 0; a < 3; a++) {
    const [data] = await aggregateRecords(Array.from({ length: 10 }, (_, i) => user(a, i)));
    await client.send(new PutRecordCommand({ StreamName: stream, PartitionKey: `outer-${a}`, Data: data }));
  }
  await client.send(new PutRecordCommand({ StreamName: stream, PartitionKey: 'plain', Data: new TextEncoder().encode('plain-record') }));
  const [good] = await aggregateRecords([user(9, 0), user(9, 1)]);
  const corrupt = Buffer.from(good!);
  corrupt[corrupt.length - 1]! ^= 0xff;
  await client.send(new PutRecordCommand({ StreamName: stream, PartitionKey: 'corrupt', Data: corrupt }));

  const config = {
    app: 'kpl-app',
    kinesis: { endpoint: t.context.kinesis.endpoint, ...localAws, http1: true },
    stateStore: { table: 'state', endpoint: t.context.dynamo.endpoint, ...localAws },
    initialPosition: 'TRIM_HORIZON' as const,
    group: { syncInterval: 300, clientTimeout: 3000 },
    logger: silentLogger,
  };

  // when a first client processes everything but checkpoints only up to agg1-user4
  const first = createKinesumer(config);
  const errors: KinesumerError[] = [];
  first.errors$.subscribe((e) => errors.push(e));
  const seen: KinesumerRecord[] = [];
  let checkpointing = true;
  const sub = first
    .consume([stream])
    .pipe(
      tap((r) => seen.push(r)),
      filter(() => checkpointing),
      tap((r) => (checkpointing = text(r) !== 'agg1-user4')),
      checkpoint(first),
    )
    .subscribe();
  await waitFor(() => seen.length === 32, 15_000, 'every record');
  await first.close();
  sub.unsubscribe();

  // then every user record came out once, in order, with its key and sub-sequence number
  const expected = [0, 1, 2].flatMap((a) => Array.from({ length: 10 }, (_, i) => `agg${a}-user${i}`));
  t.deepEqual(seen.slice(0, 30).map(text), expected);
  t.deepEqual(seen.slice(0, 10).map((r) => r.subSequenceNumber), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  t.deepEqual(seen.slice(0, 3).map((r) => [r.partitionKey, r.explicitHashKey]), [
    ['key-0', undefined],
    ['key-1', '123456789'],
    ['key-2', undefined],
  ]);
  t.is(new Set(seen.slice(0, 10).map((r) => r.sequenceNumber)).size, 1, 'user records share their aggregate\'s sequence number');
  // the plain record passes unchanged, and the corrupt aggregate is delivered raw and reported
  t.is(text(seen[30]!), 'plain-record');
  t.is(seen[30]!.subSequenceNumber, undefined);
  t.deepEqual(Buffer.from(seen[31]!.data), corrupt);
  const corruptErrors = errors.filter((e) => e instanceof CorruptAggregateError);
  t.is(corruptErrors.length, 1);
  t.regex(corruptErrors[0]!.message, /KPL aggregate \d+ of stream .* is corrupt .*delivered as the raw record/);

  // and a second client of the group resumes with agg1-user5, not agg1-user0 nor agg2-user0
  const second = createKinesumer(config);
  const again: string[] = [];
  const sub2 = second.consume([stream]).pipe(tap((r) => again.push(text(r))), checkpoint(second)).subscribe();
  await waitFor(() => again.length >= 17, 15_000, 'the rest');
  await second.close();
  sub2.unsubscribe();
  t.deepEqual(again.slice(0, 16), [...expected.slice(15), 'plain-record']);
});
