/**
 * The Kinesis seam over the AWS SDK: the inputs SdkKinesisApi gives real command objects, how it
 * reads their outputs (including the JSON nulls kinesis-local sends), how SDK failures map onto
 * the library's errors, and that unsubscribing aborts the call in flight. aws-sdk-client-mock
 * replaces `send` on one client instance per test (AVA runs a file's tests concurrently).
 */
import test from 'ava';
import {
  AccessDeniedException,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  InternalFailureException,
  KinesisClient,
  KinesisServiceException,
  LimitExceededException,
  ListShardsCommand,
  ProvisionedThroughputExceededException,
  ResourceNotFoundException,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { KinesisError, StreamNotFoundError, ThrottledError, isRetriable } from '../../src/errors.js';
import type { StartPosition } from '../../src/kinesis/kinesis-api.js';
import { SdkKinesisApi } from '../../src/kinesis/sdk-kinesis-api.js';

const STREAM = 'orders';
const SHARD = 'shardId-000000000001';

function setup() {
  const client = new KinesisClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  const mock = mockClient(client);
  return { client, mock, api: new SdkKinesisApi(client) };
}

/** kinesis-local answers absent members with JSON `null`; the SDK passes them through. */
const jsonNull = null as unknown as undefined;

/** An open shard as ListShards describes it. */
function openShard(shardId: string): Shard {
  return { ShardId: shardId, HashKeyRange: { StartingHashKey: '0', EndingHashKey: '1' }, SequenceNumberRange: { StartingSequenceNumber: '1' } };
}

/** The options (second argument) of the `n`-th `send` call the mock saw. */
function sendOptions(mock: ReturnType<typeof setup>['mock'], n: number): { abortSignal?: AbortSignal } | undefined {
  return (mock.send.getCall(n).args as unknown[])[1] as { abortSignal?: AbortSignal } | undefined;
}

// ---------------------------------------------------------------------------------------------
// ListShards

test('listShards follows NextToken: StreamName only on the first call, NextToken without StreamName after', async (t) => {
  const { mock, api } = setup();
  const page1: Shard[] = [
    {
      ShardId: 'shardId-000000000000',
      ParentShardId: jsonNull,
      AdjacentParentShardId: jsonNull,
      HashKeyRange: { StartingHashKey: '0', EndingHashKey: '1' },
      SequenceNumberRange: { StartingSequenceNumber: '1', EndingSequenceNumber: '99' },
    },
  ];
  const page2: Shard[] = [
    {
      ShardId: 'shardId-000000000001',
      ParentShardId: 'shardId-000000000000',
      HashKeyRange: { StartingHashKey: '0', EndingHashKey: '0' },
      SequenceNumberRange: { StartingSequenceNumber: '100', EndingSequenceNumber: jsonNull },
    },
  ];
  const page3: Shard[] = [
    {
      ShardId: 'shardId-000000000002',
      ParentShardId: 'shardId-000000000000',
      AdjacentParentShardId: 'shardId-000000000003',
      HashKeyRange: { StartingHashKey: '1', EndingHashKey: '1' },
      SequenceNumberRange: { StartingSequenceNumber: '101' },
    },
  ];
  mock
    .on(ListShardsCommand)
    .resolvesOnce({ Shards: page1, NextToken: 'token-1' })
    .resolvesOnce({ Shards: page2, NextToken: 'token-2' })
    // the last page as kinesis-local sends it
    .resolvesOnce({ Shards: page3, NextToken: jsonNull })
    .rejects(new Error('ListShards called once too often'));

  const shards = await lastValueFrom(api.listShards(STREAM));

  t.deepEqual(shards, [
    { shardId: 'shardId-000000000000', parentShardId: undefined, adjacentParentShardId: undefined, closed: true, startingSequenceNumber: '1' },
    {
      shardId: 'shardId-000000000001',
      parentShardId: 'shardId-000000000000',
      adjacentParentShardId: undefined,
      closed: false,
      startingSequenceNumber: '100',
    },
    {
      shardId: 'shardId-000000000002',
      parentShardId: 'shardId-000000000000',
      adjacentParentShardId: 'shardId-000000000003',
      closed: false,
      startingSequenceNumber: '101',
    },
  ]);
  const inputs = mock.commandCalls(ListShardsCommand).map((call) => call.args[0].input);
  t.is(inputs.length, 3);
  t.is(inputs[0]?.StreamName, STREAM);
  t.is(inputs[0]?.NextToken, undefined);
  t.deepEqual(
    inputs.slice(1).map((input) => [input.NextToken, input.StreamName, input.StreamARN]),
    [
      ['token-1', undefined, undefined],
      ['token-2', undefined, undefined],
    ],
  );
});

test('listShards of a stream with one page makes one call; a page without Shards counts as empty', async (t) => {
  const { mock, api } = setup();
  mock
    .on(ListShardsCommand)
    .resolvesOnce({ NextToken: 'token-1' })
    .resolvesOnce({ Shards: [openShard('shardId-000000000000')] });
  const shards = await lastValueFrom(api.listShards(STREAM));
  t.deepEqual(shards, [
    { shardId: 'shardId-000000000000', parentShardId: undefined, adjacentParentShardId: undefined, closed: false, startingSequenceNumber: '1' },
  ]);
  t.is(mock.commandCalls(ListShardsCommand).length, 2);
});

test('a missing stream is a StreamNotFoundError naming it, with the SDK error as cause', async (t) => {
  const { mock, api } = setup();
  const cause = new ResourceNotFoundException({
    message: `Stream ${STREAM} under account 000000000000 not found.`,
    $metadata: { httpStatusCode: 400 },
  });
  mock.on(ListShardsCommand).rejects(cause);
  const err = await t.throwsAsync(lastValueFrom(api.listShards(STREAM)), { instanceOf: StreamNotFoundError });
  t.is(err?.stream, STREAM);
  t.is(err?.code, 'STREAM_NOT_FOUND');
  t.true(err?.message.includes(`"${STREAM}"`));
  t.is(err?.cause, cause);
});

test('ListShards throttling is a ThrottledError without a shard', async (t) => {
  const { mock, api } = setup();
  mock.on(ListShardsCommand).rejects(new LimitExceededException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }));
  const err = await t.throwsAsync(lastValueFrom(api.listShards(STREAM)), { instanceOf: ThrottledError });
  t.is(err?.operation, 'ListShards');
  t.is(err?.stream, STREAM);
  t.is(err?.shardId, undefined);
  t.true(err?.retriable);
});

// ---------------------------------------------------------------------------------------------
// Error mapping on GetRecords

for (const ThrottlingException of [ProvisionedThroughputExceededException, LimitExceededException]) {
  test(`${ThrottlingException.name} on GetRecords is a retriable ThrottledError naming stream and shard`, async (t) => {
    const { mock, api } = setup();
    const cause = new ThrottlingException({ message: 'Rate exceeded for shard', $metadata: { httpStatusCode: 400 } });
    mock.on(GetRecordsCommand).rejects(cause);
    const err = await t.throwsAsync(lastValueFrom(api.getRecords(STREAM, SHARD, 'iterator', 100)), { instanceOf: ThrottledError });
    t.is(err?.code, 'KINESIS_THROTTLED');
    t.true(err?.retriable);
    t.true(isRetriable(err));
    t.is(err?.operation, 'GetRecords');
    t.is(err?.stream, STREAM);
    t.is(err?.shardId, SHARD);
    t.true(err?.message.includes(STREAM) && err.message.includes(SHARD));
    t.is(err?.cause, cause);
  });
}

test('an expired iterator is a retriable KinesisError with code ITERATOR_EXPIRED', async (t) => {
  const { mock, api } = setup();
  mock
    .on(GetRecordsCommand)
    .rejects(new ExpiredIteratorException({ message: 'Iterator expired. The iterator was created at time ...', $metadata: { httpStatusCode: 400 } }));
  const err = await t.throwsAsync(lastValueFrom(api.getRecords(STREAM, SHARD, 'old-iterator', 100)), { instanceOf: KinesisError });
  t.is(err?.code, 'ITERATOR_EXPIRED');
  t.true(err?.retriable);
  t.false(err instanceof ThrottledError);
  t.is(err?.shardId, SHARD);
});

test('access denied (HTTP 400) is not retriable', async (t) => {
  const { mock, api } = setup();
  mock.on(GetRecordsCommand).rejects(
    new AccessDeniedException({
      message: 'User is not authorized to perform: kinesis:GetRecords',
      $metadata: { httpStatusCode: 400 },
    }),
  );
  const err = await t.throwsAsync(lastValueFrom(api.getRecords(STREAM, SHARD, 'iterator', 100)), { instanceOf: KinesisError });
  t.is(err?.code, 'KINESIS_FAILED');
  t.false(err?.retriable);
  t.false(isRetriable(err));
  t.true(err?.message.includes('AccessDeniedException'));
});

test('server errors (HTTP 5xx) and network errors are retriable', async (t) => {
  const serverErrors = [
    new InternalFailureException({ message: 'Internal failure', $metadata: { httpStatusCode: 500 } }),
    new KinesisServiceException({ name: 'ServiceUnavailable', $fault: 'server', message: 'try later', $metadata: { httpStatusCode: 503 } }),
    Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
  ];
  for (const cause of serverErrors) {
    const { mock, api } = setup();
    mock.on(GetRecordsCommand).rejects(cause);
    const err = await t.throwsAsync(lastValueFrom(api.getRecords(STREAM, SHARD, 'iterator', 100)), { instanceOf: KinesisError });
    t.is(err?.code, 'KINESIS_FAILED', cause.message);
    t.true(err?.retriable, cause.message);
    t.is(err?.cause, cause);
  }
});

test('a missing shard is a KinesisError of that shard, not a StreamNotFoundError', async (t) => {
  const { mock, api } = setup();
  mock
    .on(GetShardIteratorCommand)
    .rejects(new ResourceNotFoundException({ message: `Shard ${SHARD} in stream ${STREAM} does not exist`, $metadata: { httpStatusCode: 400 } }));
  const err = await t.throwsAsync(firstValueFrom(api.getShardIterator(STREAM, SHARD, { type: 'LATEST' })), { instanceOf: KinesisError });
  t.false(err instanceof StreamNotFoundError);
  t.is(err?.operation, 'GetShardIterator');
  t.is(err?.shardId, SHARD);
});

// ---------------------------------------------------------------------------------------------
// GetShardIterator

const positions: Array<[StartPosition, Record<string, unknown>]> = [
  [
    { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: '49590' },
    { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: '49590' },
  ],
  [
    { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: '49591' },
    { ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: '49591' },
  ],
  [
    { type: 'AT_TIMESTAMP', timestamp: new Date('2024-05-01T12:00:00.000Z') },
    { ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Date('2024-05-01T12:00:00.000Z') },
  ],
  [{ type: 'LATEST' }, { ShardIteratorType: 'LATEST' }],
  [{ type: 'TRIM_HORIZON' }, { ShardIteratorType: 'TRIM_HORIZON' }],
];

for (const [position, expected] of positions) {
  test(`getShardIterator ${position.type} sends exactly the fields of that type`, async (t) => {
    const { mock, api } = setup();
    mock.on(GetShardIteratorCommand).resolves({ ShardIterator: 'iterator-1' });
    const iterator = await firstValueFrom(api.getShardIterator(STREAM, SHARD, position));
    t.is(iterator, 'iterator-1');
    const calls = mock.commandCalls(GetShardIteratorCommand);
    t.is(calls.length, 1);
    t.deepEqual(calls[0]?.args[0].input, { StreamName: STREAM, ShardId: SHARD, ...expected });
  });
}

test('getShardIterator without an iterator in the answer fails instead of emitting undefined', async (t) => {
  const { mock, api } = setup();
  mock.on(GetShardIteratorCommand).resolves({ ShardIterator: jsonNull });
  const err = await t.throwsAsync(firstValueFrom(api.getShardIterator(STREAM, SHARD, { type: 'LATEST' })), { instanceOf: KinesisError });
  t.is(err?.operation, 'GetShardIterator');
});

// ---------------------------------------------------------------------------------------------
// GetRecords

test('getRecords passes iterator and Limit and maps the page', async (t) => {
  const { mock, api } = setup();
  const records = [
    { SequenceNumber: '1', PartitionKey: 'a', Data: new Uint8Array([1]), ApproximateArrivalTimestamp: new Date(0) },
    { SequenceNumber: '2', PartitionKey: 'b', Data: new Uint8Array([2]), ApproximateArrivalTimestamp: new Date(0) },
  ];
  mock.on(GetRecordsCommand).resolves({ Records: records, NextShardIterator: 'iterator-2', MillisBehindLatest: 1500 });
  const page = await lastValueFrom(api.getRecords(STREAM, SHARD, 'iterator-1', 250));
  t.deepEqual(page, { records, nextShardIterator: 'iterator-2', millisBehindLatest: 1500 });
  t.deepEqual(
    mock.commandCalls(GetRecordsCommand).map((call) => call.args[0].input),
    [{ ShardIterator: 'iterator-1', Limit: 250 }],
  );
});

test('getRecords: a null or absent NextShardIterator is the end of the shard (undefined)', async (t) => {
  const { mock, api } = setup();
  mock
    .on(GetRecordsCommand)
    .resolvesOnce({ Records: [], NextShardIterator: jsonNull, MillisBehindLatest: jsonNull })
    .resolvesOnce({});
  const asKinesisLocalSends = await lastValueFrom(api.getRecords(STREAM, SHARD, 'iterator-1', 10));
  const withoutMembers = await lastValueFrom(api.getRecords(STREAM, SHARD, 'iterator-1', 10));
  for (const page of [asKinesisLocalSends, withoutMembers]) {
    t.deepEqual(page, { records: [], nextShardIterator: undefined, millisBehindLatest: undefined });
  }
});

// ---------------------------------------------------------------------------------------------
// Aborting

/** A send that never answers until its abortSignal fires, then rejects as the SDK does. */
function hangUntilAborted(mock: ReturnType<typeof setup>['mock']) {
  return (): Promise<never> =>
    new Promise((_resolve, reject) => {
      // sinon records a call's arguments before running its fake
      const signal = sendOptions(mock, mock.send.callCount - 1)?.abortSignal;
      signal?.addEventListener('abort', () => reject(Object.assign(new Error('Request aborted'), { name: 'AbortError' })));
    });
}

test('unsubscribing from getRecords aborts the call in flight and emits nothing after', async (t) => {
  const { mock, api } = setup();
  mock.on(GetRecordsCommand).callsFake(hangUntilAborted(mock));
  const seen: string[] = [];
  const subscription = api.getRecords(STREAM, SHARD, 'iterator-1', 10).subscribe({
    next: () => seen.push('next'),
    error: (err: unknown) => seen.push(`error ${String(err)}`),
    complete: () => seen.push('complete'),
  });
  await new Promise((resolve) => setImmediate(resolve));
  t.is(mock.send.callCount, 1);
  const signal = sendOptions(mock, 0)?.abortSignal;
  t.truthy(signal, 'send got an abortSignal');
  t.false(signal?.aborted);

  subscription.unsubscribe();

  t.true(signal?.aborted);
  await new Promise((resolve) => setImmediate(resolve));
  t.deepEqual(seen, []);
});

test('a call that answered is not aborted when its subscriber leaves (an abort builds a DOMException for nothing)', async (t) => {
  const { mock, api } = setup();
  mock.on(GetRecordsCommand).resolves({ Records: [], NextShardIterator: 'iterator-2', MillisBehindLatest: 0 });
  const pages = await lastValueFrom(api.getRecords(STREAM, SHARD, 'iterator-1', 10).pipe(toArray()));
  t.is(pages.length, 1);
  const signal = sendOptions(mock, 0)?.abortSignal;
  t.truthy(signal, 'send got an abortSignal');
  t.false(signal?.aborted);
});

test('unsubscribing from listShards between pages aborts the page in flight and asks for no more', async (t) => {
  const { mock, api } = setup();
  mock
    .on(ListShardsCommand)
    .resolvesOnce({ Shards: [openShard('shardId-000000000000')], NextToken: 'token-1' })
    .callsFake(hangUntilAborted(mock));
  const seen: string[] = [];
  const subscription = api.listShards(STREAM).subscribe({
    next: () => seen.push('next'),
    error: () => seen.push('error'),
    complete: () => seen.push('complete'),
  });
  await new Promise((resolve) => setImmediate(resolve));
  t.is(mock.send.callCount, 2);
  const signal = sendOptions(mock, 1)?.abortSignal;
  t.false(signal?.aborted);

  subscription.unsubscribe();

  t.true(signal?.aborted);
  await new Promise((resolve) => setImmediate(resolve));
  t.is(mock.send.callCount, 2);
  t.deepEqual(seen, []);
});
