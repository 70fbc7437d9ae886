/**
 * The enhanced fan-out calls of the SDK seam, with aws-sdk-client-mock against real command
 * objects: inputs, outputs (with the JSON nulls kinesis-local sends), outcomes that are not errors
 * (a consumer that exists or is gone), error mapping, and SubscribeToShard's event stream: read
 * with pull semantics, ended, failed, and aborted on unsubscribe. The event stream is a fake
 * async iterable that logs every `next()` and `return()`.
 */
import test from 'ava';
import {
  AccessDeniedException,
  DeregisterStreamConsumerCommand,
  DescribeStreamConsumerCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  LimitExceededException,
  RegisterStreamConsumerCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  SubscribeToShardCommand,
  type SubscribeToShardEventStream,
} from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { Subject, firstValueFrom, lastValueFrom } from 'rxjs';
import { KinesisError, StreamNotFoundError, ThrottledError, isRetriable } from '../../src/errors.js';
import type { ShardEvent, StartPosition } from '../../src/kinesis/kinesis-api.js';
import { SdkKinesisApi } from '../../src/kinesis/sdk-kinesis-api.js';

const STREAM = 'orders';
const STREAM_ARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/orders';
const CONSUMER_ARN = `${STREAM_ARN}/consumer/app:1`;
const SHARD = 'shardId-000000000001';
/** kinesis-local answers absent members with JSON `null`; the SDK passes them through. */
const jsonNull = null as unknown as undefined;

function setup() {
  const client = new KinesisClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  const mock = mockClient(client);
  return { client, mock, api: new SdkKinesisApi(client) };
}

const meta400 = { $metadata: { httpStatusCode: 400 } };
const settle = () => new Promise((resolve) => setImmediate(resolve));

// ---------------------------------------------------------------------------------------------
// Registration calls

test('describeStreamSummary gives the stream ARN; a missing stream is a StreamNotFoundError', async (t) => {
  const { mock, api } = setup();
  mock.on(DescribeStreamSummaryCommand, { StreamName: STREAM }).resolves({
    StreamDescriptionSummary: {
      StreamName: STREAM,
      StreamARN: STREAM_ARN,
      StreamStatus: 'ACTIVE',
      RetentionPeriodHours: 24,
      StreamCreationTimestamp: new Date(0),
      EnhancedMonitoring: [],
      OpenShardCount: 1,
    },
  });
  t.deepEqual(await firstValueFrom(api.describeStreamSummary(STREAM)), { streamArn: STREAM_ARN, status: 'ACTIVE' });

  mock.on(DescribeStreamSummaryCommand).rejects(new ResourceNotFoundException({ message: 'not found', ...meta400 }));
  const err = await t.throwsAsync(firstValueFrom(api.describeStreamSummary(STREAM)));
  t.true(err instanceof StreamNotFoundError);
});

test('registerStreamConsumer registers by stream ARN and name; one that exists (ResourceInUseException) is an outcome: undefined', async (t) => {
  const { mock, api } = setup();
  mock
    .on(RegisterStreamConsumerCommand)
    .resolvesOnce({
      Consumer: { ConsumerName: 'app', ConsumerARN: CONSUMER_ARN, ConsumerStatus: 'CREATING', ConsumerCreationTimestamp: new Date(0) },
    })
    .rejects(new ResourceInUseException({ message: 'Consumer app exists', ...meta400 }));

  t.deepEqual(await firstValueFrom(api.registerStreamConsumer(STREAM, STREAM_ARN, 'app')), {
    consumerName: 'app',
    consumerArn: CONSUMER_ARN,
    status: 'CREATING',
  });
  t.is(await firstValueFrom(api.registerStreamConsumer(STREAM, STREAM_ARN, 'app')), undefined);
  t.deepEqual(mock.commandCalls(RegisterStreamConsumerCommand)[0]?.args[0].input, { StreamARN: STREAM_ARN, ConsumerName: 'app' });
});

test('registerStreamConsumer: throttling is a ThrottledError, access denied is not retriable', async (t) => {
  const { mock, api } = setup();
  mock
    .on(RegisterStreamConsumerCommand)
    .rejectsOnce(new LimitExceededException({ message: 'Rate exceeded', ...meta400 }))
    .rejects(new AccessDeniedException({ message: 'no', ...meta400 }));
  const throttled = await t.throwsAsync(firstValueFrom(api.registerStreamConsumer(STREAM, STREAM_ARN, 'app')));
  t.true(throttled instanceof ThrottledError);
  const denied = await t.throwsAsync(firstValueFrom(api.registerStreamConsumer(STREAM, STREAM_ARN, 'app')));
  t.true(denied instanceof KinesisError);
  t.false(isRetriable(denied));
});

test('describeStreamConsumer gives the status; a consumer that does not exist is undefined', async (t) => {
  const { mock, api } = setup();
  mock
    .on(DescribeStreamConsumerCommand)
    .resolvesOnce({
      ConsumerDescription: {
        ConsumerName: 'app',
        ConsumerARN: CONSUMER_ARN,
        ConsumerStatus: 'ACTIVE',
        ConsumerCreationTimestamp: new Date(0),
        StreamARN: STREAM_ARN,
      },
    })
    .rejects(new ResourceNotFoundException({ message: 'no consumer', ...meta400 }));

  t.deepEqual(await firstValueFrom(api.describeStreamConsumer(STREAM, STREAM_ARN, 'app')), {
    consumerName: 'app',
    consumerArn: CONSUMER_ARN,
    status: 'ACTIVE',
  });
  t.is(await firstValueFrom(api.describeStreamConsumer(STREAM, STREAM_ARN, 'app')), undefined);
  t.deepEqual(mock.commandCalls(DescribeStreamConsumerCommand)[0]?.args[0].input, { StreamARN: STREAM_ARN, ConsumerName: 'app' });
});

test('deregisterStreamConsumer completes, also when the consumer is gone already', async (t) => {
  const { mock, api } = setup();
  mock
    .on(DeregisterStreamConsumerCommand)
    .resolvesOnce({})
    .rejects(new ResourceNotFoundException({ message: 'gone', ...meta400 }));
  await t.notThrowsAsync(lastValueFrom(api.deregisterStreamConsumer(STREAM, STREAM_ARN, 'app'), { defaultValue: undefined }));
  await t.notThrowsAsync(lastValueFrom(api.deregisterStreamConsumer(STREAM, STREAM_ARN, 'app'), { defaultValue: undefined }));
  t.deepEqual(mock.commandCalls(DeregisterStreamConsumerCommand)[0]?.args[0].input, { StreamARN: STREAM_ARN, ConsumerName: 'app' });
});

// ---------------------------------------------------------------------------------------------
// SubscribeToShard

/** One step of the fake event stream: an event member, an error to throw, or a read that hangs. */
type Step = SubscribeToShardEventStream | Error | 'hang';

/** A fake SDK event stream: an async iterable over `steps`, logging its reads. */
function eventStream(steps: Step[]) {
  const log = { nexts: 0, returned: false };
  let i = 0;
  const iterator: AsyncIterator<SubscribeToShardEventStream> = {
    next: async () => {
      log.nexts += 1;
      const step = steps[i++];
      if (step === undefined) return { done: true, value: undefined };
      if (step === 'hang') return new Promise<never>(() => undefined);
      if (step instanceof Error) throw step;
      return { done: false, value: step };
    },
    return: async () => {
      log.returned = true;
      return { done: true, value: undefined };
    },
  };
  return { stream: { [Symbol.asyncIterator]: () => iterator }, log };
}

const event = (seq: string, continuation: string | undefined = seq): SubscribeToShardEventStream => ({
  SubscribeToShardEvent: {
    Records: [{ SequenceNumber: seq, PartitionKey: 'k', Data: new Uint8Array([1]), ApproximateArrivalTimestamp: new Date(0) }],
    ContinuationSequenceNumber: continuation ?? jsonNull,
    MillisBehindLatest: 0,
  },
});

/** Subscribes and collects; returns what arrived and how it ended. */
function collect(api: SdkKinesisApi, demand$: Subject<void>, position: StartPosition = { type: 'TRIM_HORIZON' }) {
  const got: { events: ShardEvent[]; error?: unknown; complete: boolean } = { events: [], complete: false };
  const subscription = api.subscribeToShard(STREAM, SHARD, CONSUMER_ARN, position, demand$).subscribe({
    next: (e) => got.events.push(e),
    error: (err: unknown) => (got.error = err),
    complete: () => (got.complete = true),
  });
  return { got, subscription };
}

for (const [position, expected] of [
  [{ type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: '42' }, { Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: '42' }],
  [{ type: 'AT_SEQUENCE_NUMBER', sequenceNumber: '42' }, { Type: 'AT_SEQUENCE_NUMBER', SequenceNumber: '42' }],
  [{ type: 'TRIM_HORIZON' }, { Type: 'TRIM_HORIZON' }],
  [{ type: 'LATEST' }, { Type: 'LATEST' }],
  [{ type: 'AT_TIMESTAMP', timestamp: new Date(5000) }, { Type: 'AT_TIMESTAMP', Timestamp: new Date(5000) }],
] as const) {
  test(`subscribeToShard sends ConsumerARN, ShardId and StartingPosition ${position.type}`, async (t) => {
    const { mock, api } = setup();
    mock.on(SubscribeToShardCommand).resolves({ EventStream: eventStream([]).stream });
    const demand$ = new Subject<void>();
    const { got } = collect(api, demand$, position);
    demand$.next();
    await settle();
    t.deepEqual(mock.commandCalls(SubscribeToShardCommand)[0]?.args[0].input, {
      ConsumerARN: CONSUMER_ARN,
      ShardId: SHARD,
      StartingPosition: expected,
    });
    t.true(got.complete);
  });
}

test('subscribeToShard reads one event per demand and none ahead of it (pull semantics)', async (t) => {
  const { mock, api } = setup();
  const { stream, log } = eventStream([event('1'), event('2'), event('3')]);
  mock.on(SubscribeToShardCommand).resolves({ EventStream: stream });
  const demand$ = new Subject<void>();
  const { got } = collect(api, demand$);
  await settle();
  // nothing asked for: nothing read
  t.is(log.nexts, 0);
  demand$.next();
  await settle();
  t.is(log.nexts, 1);
  t.deepEqual(
    got.events.map((e) => e.records[0]?.SequenceNumber),
    ['1'],
  );
  // still one: the next read waits for the next demand
  await settle();
  t.is(log.nexts, 1);
  demand$.next();
  demand$.next();
  await settle();
  t.is(log.nexts, 3);
  t.deepEqual(
    got.events.map((e) => e.records[0]?.SequenceNumber),
    ['1', '2', '3'],
  );
  t.false(got.complete);
  // the stream's end (Kinesis closed the subscription) completes it
  demand$.next();
  await settle();
  t.true(got.complete);
});

test('a demand made while the subscriber handles an event is served right after it', async (t) => {
  const { mock, api } = setup();
  mock.on(SubscribeToShardCommand).resolves({ EventStream: eventStream([event('1'), event('2'), 'hang']).stream });
  const demand$ = new Subject<void>();
  const got: string[] = [];
  const subscription = api.subscribeToShard(STREAM, SHARD, CONSUMER_ARN, { type: 'TRIM_HORIZON' }, demand$).subscribe((e) => {
    got.push(e.records[0]!.SequenceNumber!);
    demand$.next(); // what the reader does once the event's records were delivered
  });
  demand$.next();
  await settle();
  t.deepEqual(got, ['1', '2']);
  subscription.unsubscribe();
});

test('events are mapped, with JSON nulls as undefined and ChildShards in the last event', async (t) => {
  const { mock, api } = setup();
  const last: SubscribeToShardEventStream = {
    SubscribeToShardEvent: {
      Records: [],
      ContinuationSequenceNumber: jsonNull,
      MillisBehindLatest: 0,
      ChildShards: [
        { ShardId: 'shardId-000000000002', ParentShards: [SHARD], HashKeyRange: { StartingHashKey: '0', EndingHashKey: '1' } },
      ],
    },
  };
  mock.on(SubscribeToShardCommand).resolves({ EventStream: eventStream([event('1'), last]).stream });
  const demand$ = new Subject<void>();
  const { got } = collect(api, demand$);
  demand$.next();
  demand$.next();
  await settle();
  t.is(got.events.length, 2);
  t.is(got.events[0]?.continuationSequenceNumber, '1');
  t.is(got.events[0]?.childShards, undefined);
  t.deepEqual(got.events[1], {
    records: [],
    continuationSequenceNumber: undefined,
    millisBehindLatest: 0,
    childShards: [{ shardId: 'shardId-000000000002', parentShards: [SHARD] }],
  });
});

test('an exception in the event stream errors with a mapped, retriable error', async (t) => {
  for (const [exception, code] of [
    [new ResourceInUseException({ message: 'Another active subscription exists', ...meta400 }), 'KINESIS_RESOURCE_IN_USE'],
    [new ResourceNotFoundException({ message: 'consumer not found', ...meta400 }), 'KINESIS_RESOURCE_NOT_FOUND'],
    [new LimitExceededException({ message: 'Rate exceeded', ...meta400 }), 'KINESIS_THROTTLED'],
  ] as const) {
    const { mock, api } = setup();
    mock.on(SubscribeToShardCommand).resolves({ EventStream: eventStream([event('1'), exception]).stream });
    const demand$ = new Subject<void>();
    const { got } = collect(api, demand$);
    demand$.next();
    demand$.next();
    await settle();
    t.is(got.events.length, 1);
    t.true(got.error instanceof KinesisError, code);
    t.is((got.error as KinesisError).code, code);
    t.is((got.error as KinesisError).operation, 'SubscribeToShard');
    t.is((got.error as KinesisError).shardId, SHARD);
    t.true(isRetriable(got.error));
  }
});

test('a failed call (the first event is an exception: the SDK reads it before send resolves) errors with a mapped error', async (t) => {
  const { mock, api } = setup();
  mock.on(SubscribeToShardCommand).rejects(new ResourceInUseException({ message: 'Another active subscription exists', $metadata: {} }));
  const { got } = collect(api, new Subject<void>());
  await settle();
  t.is((got.error as KinesisError).code, 'KINESIS_RESOURCE_IN_USE');
});

test('unsubscribing while a read waits aborts the request and returns the iterator; nothing is emitted after', async (t) => {
  const { mock, api } = setup();
  const { stream, log } = eventStream([event('1'), 'hang']);
  mock.on(SubscribeToShardCommand).resolves({ EventStream: stream });
  const demand$ = new Subject<void>();
  const { got, subscription } = collect(api, demand$);
  demand$.next();
  demand$.next();
  await settle();
  const signal = (mock.send.getCall(0).args as unknown[])[1] as { abortSignal: AbortSignal };
  t.false(signal.abortSignal.aborted);
  subscription.unsubscribe();
  await settle();
  t.true(signal.abortSignal.aborted);
  t.true(log.returned);
  t.is(got.events.length, 1);
  t.is(got.error, undefined);
  t.false(demand$.observed);
});

test('unsubscribing before the call answered aborts it; its late answer is ignored', async (t) => {
  const { mock, api } = setup();
  const { stream, log } = eventStream([event('1')]);
  let answer: (value: unknown) => void = () => undefined;
  mock.on(SubscribeToShardCommand).callsFake(() => new Promise((resolve) => (answer = resolve)));
  const demand$ = new Subject<void>();
  const { got, subscription } = collect(api, demand$);
  demand$.next();
  subscription.unsubscribe();
  const signal = (mock.send.getCall(0).args as unknown[])[1] as { abortSignal: AbortSignal };
  t.true(signal.abortSignal.aborted);
  answer({ EventStream: stream });
  await settle();
  t.is(log.nexts, 0);
  t.deepEqual(got, { events: [], complete: false });
});
