/**
 * The mapping of SDK failures onto the library's errors, rule by rule, with the SDK's own
 * exception classes. sdk-kinesis-api.spec.ts and sdk-efo-api.spec.ts check that the seam's calls
 * go through this mapping (with their operation names); this checks the mapping itself.
 */
import test from 'ava';
import {
  AccessDeniedException,
  ExpiredIteratorException,
  InternalFailureException,
  KMSThrottlingException,
  LimitExceededException,
  ProvisionedThroughputExceededException,
  ResourceInUseException,
  ResourceNotFoundException,
} from '@aws-sdk/client-kinesis';
import { AssumeRoleError, KinesisError, StreamNotFoundError, ThrottledError } from '../../src/errors.js';
import { errorName, toEfoError, toKinesisError } from '../../src/kinesis/kinesis-errors.js';

const STREAM = 'orders';
const SHARD = 'shardId-000000000001';
const meta400 = { $metadata: { httpStatusCode: 400 } };

/** An SDK-shaped failure of the given name that this SDK has no class for. */
const named = (name: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(`${name} happened`), { name, ...extra });

test('every kind of throttling is a retriable ThrottledError of the call, stream and shard', (t) => {
  const causes = [
    new ProvisionedThroughputExceededException({ message: 'Rate exceeded for shard', ...meta400 }),
    new LimitExceededException({ message: 'Rate exceeded', ...meta400 }),
    new KMSThrottlingException({ message: 'KMS rate exceeded', ...meta400 }),
    named('ThrottlingException', meta400),
  ];
  for (const cause of causes) {
    const err = toKinesisError(cause, 'GetRecords', STREAM, SHARD);
    t.true(err instanceof ThrottledError, cause.name);
    t.like(err, { code: 'KINESIS_THROTTLED', retriable: true, operation: 'GetRecords', stream: STREAM, shardId: SHARD, cause });
  }
});

test('a failure to assume the role is passed on as it is, naming the role rather than the call', (t) => {
  const assume = new AssumeRoleError('arn:aws:iam::123456789012:role/reader', { cause: new Error('AccessDenied') });
  t.is(toKinesisError(assume, 'ListShards', STREAM), assume);
  t.is(toEfoError(assume, 'SubscribeToShard', STREAM, SHARD), assume);
});

test('ResourceNotFoundException is a missing stream only when no shard is named', (t) => {
  const cause = new ResourceNotFoundException({ message: 'not found', ...meta400 });
  const stream = toKinesisError(cause, 'ListShards', STREAM);
  t.true(stream instanceof StreamNotFoundError);
  t.like(stream, { code: 'STREAM_NOT_FOUND', retriable: true, cause });

  const shard = toKinesisError(cause, 'GetShardIterator', STREAM, SHARD);
  t.false(shard instanceof StreamNotFoundError);
  t.true(shard instanceof KinesisError);
  // a shard can be missing for a moment (just after a reshard): try again
  t.like(shard, { code: 'KINESIS_FAILED', retriable: true, shardId: SHARD });
});

test('an expired iterator is a retriable ITERATOR_EXPIRED that says so', (t) => {
  const cause = new ExpiredIteratorException({ message: 'Iterator expired', ...meta400 });
  const err = toKinesisError(cause, 'GetRecords', STREAM, SHARD);
  t.like(err, { code: 'ITERATOR_EXPIRED', retriable: true, cause });
  t.is(err.message, `Kinesis GetRecords on stream "${STREAM}" shard ${SHARD} failed: the shard iterator expired`);
});

test('other failures are retriable unless Kinesis answered with a 4xx the SDK would not retry', (t) => {
  const cases: Array<[unknown, boolean, string]> = [
    [new AccessDeniedException({ message: 'not authorized', ...meta400 }), false, 'a 4xx'],
    [named('ValidationException', meta400), false, 'another 4xx'],
    [named('ValidationException', { ...meta400, $retryable: {} }), true, 'a 4xx the SDK marks retryable'],
    [new InternalFailureException({ message: 'internal', $metadata: { httpStatusCode: 500 } }), true, 'a 5xx'],
    [Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), true, 'no answer at all'],
    [named('TimeoutError', meta400), true, 'a timeout'],
    ['a string', true, 'not even an error'],
  ];
  for (const [cause, retriable, why] of cases) {
    const err = toKinesisError(cause, 'GetRecords', STREAM, SHARD);
    t.true(err instanceof KinesisError && !(err instanceof ThrottledError), why);
    t.like(err, { code: 'KINESIS_FAILED', retriable, operation: 'GetRecords', cause }, why);
  }
});

test('the message names the call, the stream and the shard, and describes the cause', (t) => {
  const cause = new AccessDeniedException({ message: 'User is not authorized to perform: kinesis:GetRecords', ...meta400 });
  t.is(
    toKinesisError(cause, 'GetRecords', STREAM, SHARD).message,
    `Kinesis GetRecords on stream "${STREAM}" shard ${SHARD} failed: AccessDeniedException: User is not authorized to perform: kinesis:GetRecords`,
  );
  t.is(toKinesisError(cause, 'ListShards', STREAM).message.startsWith(`Kinesis ListShards on stream "${STREAM}" failed: `), true);
});

test('enhanced fan-out: a subscription still open (ResourceInUseException) is a retriable KINESIS_RESOURCE_IN_USE', (t) => {
  const cause = new ResourceInUseException({ message: 'Another active subscription exists', ...meta400 });
  const err = toEfoError(cause, 'SubscribeToShard', STREAM, SHARD);
  t.true(err instanceof KinesisError);
  t.like(err, { code: 'KINESIS_RESOURCE_IN_USE', retriable: true, operation: 'SubscribeToShard', shardId: SHARD, cause });
  // without the enhanced fan-out rules it is an ordinary 4xx
  t.like(toKinesisError(cause, 'SubscribeToShard', STREAM, SHARD), { code: 'KINESIS_FAILED', retriable: false });
});

test('enhanced fan-out: a missing consumer or shard is a retriable KINESIS_RESOURCE_NOT_FOUND; a missing stream stays one', (t) => {
  const cause = new ResourceNotFoundException({ message: 'not found', ...meta400 });
  for (const operation of ['DescribeStreamConsumer', 'DeregisterStreamConsumer']) {
    const err = toEfoError(cause, operation, STREAM);
    t.false(err instanceof StreamNotFoundError, operation);
    t.like(err, { code: 'KINESIS_RESOURCE_NOT_FOUND', retriable: true, operation, shardId: undefined }, operation);
  }
  t.like(toEfoError(cause, 'SubscribeToShard', STREAM, SHARD), { code: 'KINESIS_RESOURCE_NOT_FOUND', shardId: SHARD });
  t.true(toEfoError(cause, 'DescribeStreamSummary', STREAM) instanceof StreamNotFoundError);
});

test('enhanced fan-out: everything else follows the ordinary rules', (t) => {
  const throttled = toEfoError(new LimitExceededException({ message: 'Rate exceeded', ...meta400 }), 'SubscribeToShard', STREAM, SHARD);
  t.true(throttled instanceof ThrottledError);
  t.like(toEfoError(new AccessDeniedException({ message: 'no', ...meta400 }), 'RegisterStreamConsumer', STREAM), {
    code: 'KINESIS_FAILED',
    retriable: false,
  });
});

test('errorName reads the SDK name of anything thrown', (t) => {
  t.is(errorName(new ResourceInUseException({ message: 'in use', ...meta400 })), 'ResourceInUseException');
  t.is(errorName({ name: 'TimeoutError' }), 'TimeoutError');
  t.is(errorName(undefined), '');
  t.is(errorName(null), '');
  t.is(errorName({}), '');
});
