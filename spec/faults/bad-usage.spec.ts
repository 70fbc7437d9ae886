/**
 * Misuse and a rejected checkpoint, on aws-sdk-client-mock and the in-memory store:
 * - `checkpoint()`/`markRecord()` given a value that is not a record of this consumer (another
 *   consumer's real record, null, a string, a look-alike object) is a UsageError saying so;
 * - every call after `close()` is a ClosedError naming the call;
 * - a checkpoint that Kinesis rejects with InvalidArgumentException (what AWS answers; kinesis-local
 *   answers ResourceNotFoundException, see bad-input.spec.ts) is reported with Kinesis's own words,
 *   retried with backoff, and never replaced by another starting position.
 */
import { InvalidArgumentException } from '@aws-sdk/client-kinesis';
import test from 'ava';
import { lastValueFrom, of, take, toArray, type Observable } from 'rxjs';
import { checkpoint } from '../../src/checkpoint/checkpoint.js';
import { ClosedError, KinesisError, UsageError, type KinesumerError } from '../../src/errors.js';
import { createKinesumer, type Kinesumer } from '../../src/index.js';
import { silentLogger } from '../../src/logger.js';
import type { KinesumerRecord } from '../../src/record.js';
import { MemoryStateStore } from '../../src/state-store/memory-state-store.js';
import { MockKinesis, mockShardId } from './mock-kinesis.js';
import { sleep } from './fixtures.js';

function consumerOn(kinesis: MockKinesis, store: MemoryStateStore, clientId: string): Kinesumer {
  return createKinesumer({
    app: 'usage',
    clientId,
    kinesis: kinesis.client,
    stateStore: store,
    initialPosition: 'TRIM_HORIZON',
    group: { syncInterval: 200, clientTimeout: 1000 },
    retry: { initialDelay: 100, maxDelay: 1000 },
    logger: silentLogger,
  });
}

const FOREIGN = /^markRecord\(\)\/checkpoint\(\) was given a value that is not a record delivered by this consumer$/;

test('checkpoint() and markRecord() refuse anything that is not a record of this consumer, saying so', async (t) => {
  const kinesis = new MockKinesis({ stream: 's', shards: 1, recordsPerShard: 3 });
  const store = new MemoryStateStore();
  const a = consumerOn(kinesis, store, 'a');
  const b = consumerOn(kinesis, new MemoryStateStore(), 'b');
  try {
    const records = await lastValueFrom(a.consume(['s']).pipe(take(3), toArray()));
    const real = records[0]!;
    // another consumer's real record, of the same app and stream
    const viaOperator = await t.throwsAsync(lastValueFrom((of(real) as Observable<KinesumerRecord>).pipe(checkpoint(b))));
    t.true(viaOperator instanceof UsageError);
    t.is((viaOperator as UsageError).code, 'FOREIGN_RECORD');
    t.regex(viaOperator!.message, FOREIGN);
    // values that are no record at all, and a look-alike with the same public fields
    const lookAlike = JSON.parse(JSON.stringify({ ...real, data: undefined })) as KinesumerRecord;
    for (const value of [null, undefined, 'shardId-000000000000', 42, {}, lookAlike]) {
      const err = t.throws(() => a.markRecord(value as unknown as KinesumerRecord), { instanceOf: UsageError }, `given ${JSON.stringify(value)}`);
      t.regex(err!.message, FOREIGN);
    }
    // the refusals changed nothing: a's own record is still accepted
    t.notThrows(() => a.markRecord(real));
  } finally {
    await Promise.all([a.close(), b.close()]);
    kinesis.restore();
  }
});

test('after close(), markRecord, commit, consume and refresh are ClosedErrors naming the call', async (t) => {
  const kinesis = new MockKinesis({ stream: 's', shards: 1, recordsPerShard: 2 });
  const c = consumerOn(kinesis, new MemoryStateStore(), 'c');
  try {
    const [record] = await lastValueFrom(c.consume(['s']).pipe(take(1), toArray()));
    await c.close();
    const marked = t.throws(() => c.markRecord(record!), { instanceOf: ClosedError });
    t.is(marked?.message, 'markRecord() called after close()');
    t.is(marked?.code, 'CLOSED');
    const committed = await t.throwsAsync(c.commit(), { instanceOf: ClosedError });
    t.is(committed?.message, 'commit() called after close()');
    t.is(t.throws(() => c.consume(['s']), { instanceOf: ClosedError })?.message, 'consume() called after close()');
    t.is(t.throws(() => c.refresh(['s']), { instanceOf: ClosedError })?.message, 'refresh() called after close()');
  } finally {
    await c.close();
    kinesis.restore();
  }
});

test('a checkpoint Kinesis rejects (InvalidArgumentException) is reported, retried with backoff, never replaced by another position', async (t) => {
  const bad = '4960000000000000042';
  const kinesis = new MockKinesis({
    stream: 's',
    shards: 2,
    recordsPerShard: 5,
    inject: ({ op, shardId }) =>
      op === 'GetShardIterator' && shardId === mockShardId(0)
        ? new InvalidArgumentException({
            message: `StartingSequenceNumber ${bad} used in GetShardIterator on shard ${shardId} in stream s under account 123456789012 is invalid.`,
            $metadata: { httpStatusCode: 400 },
          })
        : undefined,
  });
  const store = new MemoryStateStore();
  await lastValueFrom(store.updateCheckpoints('usage', 's', [{ shardId: mockShardId(0), sequenceNumber: bad, lastUpdate: new Date() }]));
  const c = consumerOn(kinesis, store, 'c');
  const errors: KinesumerError[] = [];
  c.errors$.subscribe((e) => errors.push(e));
  const delivered: KinesumerRecord[] = [];
  const sub = c.consume(['s']).subscribe((r) => delivered.push(r));
  try {
    await sleep(3000);
    const calls = kinesis.callsOf('GetShardIterator', mockShardId(0));
    const reports = errors.filter((e): e is KinesisError => e instanceof KinesisError && e.shardId === mockShardId(0));
    t.log(`${calls.length} GetShardIterator calls on the shard in 3 s, ${reports.length} reports: ${reports[0]?.message}`);
    // never another position: every attempt asks for AFTER_SEQUENCE_NUMBER of the checkpoint
    t.true(calls.length >= 2);
    for (const call of calls) t.like(call.input, { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: bad });
    // with backoff (100 ms doubling to 1 s, equal jitter: at most 9 calls in 3 s), not a busy loop
    t.true(calls.length <= 10, `${calls.length} calls in 3 s`);
    t.is(reports.length, calls.length, 'every failure reported');
    t.is(
      reports[0]!.message,
      `Kinesis GetShardIterator on stream "s" shard ${mockShardId(0)} failed: InvalidArgumentException: StartingSequenceNumber ${bad} ` +
        `used in GetShardIterator on shard ${mockShardId(0)} in stream s under account 123456789012 is invalid.`,
    );
    // the other shard is read; the rejected one delivers nothing
    t.deepEqual([...new Set(delivered.map((r) => r.shardId))], [mockShardId(1)]);
  } finally {
    sub.unsubscribe();
    await c.close();
    kinesis.restore();
  }
});
