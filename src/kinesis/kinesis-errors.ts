/**
 * How an AWS SDK failure of a Kinesis call becomes one of the library's errors: throttling, a
 * missing stream, an expired iterator, and whether the call may succeed if tried again. The
 * enhanced fan-out calls add the outcomes of their own ({@link toEfoError}).
 */
import { AssumeRoleError, KinesisError, StreamNotFoundError, ThrottledError, describeCause } from '../errors.js';

/** The SDK error names of Kinesis refusing a call for exceeding a limit. */
const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'ThrottlingException',
  'KMSThrottlingException',
]);

/** The SDK's name of a failure (`ResourceNotFoundException`), or `''`. */
export function errorName(err: unknown): string {
  return (err as { name?: string } | undefined)?.name ?? '';
}

/**
 * Maps an SDK failure of `operation` to the library's error hierarchy: throttling is a
 * {@link ThrottledError}, a missing stream (not shard) a {@link StreamNotFoundError}, an expired
 * iterator a retriable `ITERATOR_EXPIRED`, and anything else a {@link KinesisError} that is
 * retriable unless Kinesis answered with a 4xx the SDK does not retry. An {@link AssumeRoleError}
 * is passed on as it is.
 *
 * ## Example
 * ```ts
 * import { toKinesisError } from './kinesis/kinesis-errors.js';
 * client.send(command).catch((err: unknown) => { throw toKinesisError(err, 'GetRecords', 'orders', 'shardId-000000000000'); });
 * ```
 *
 * @param err What the SDK call threw.
 * @param operation The Kinesis call, such as `GetRecords`.
 * @param stream The stream it was made on.
 * @param shardId The shard, for calls on one shard.
 */
export function toKinesisError(
  err: unknown,
  operation: string,
  stream: string,
  shardId?: string,
): KinesisError | StreamNotFoundError | AssumeRoleError {
  // The credentials could not be had (kinesis.roleArn): say so, naming the role, not the call.
  if (err instanceof AssumeRoleError) return err;
  const name = errorName(err);
  if (THROTTLING.has(name)) return new ThrottledError(operation, stream, shardId, { cause: err });
  if (name === 'ResourceNotFoundException' && shardId === undefined) return new StreamNotFoundError(stream, { cause: err });
  if (name === 'ExpiredIteratorException') {
    return new KinesisError(operation, stream, shardId, 'the shard iterator expired', {
      cause: err,
      code: 'ITERATOR_EXPIRED',
      retriable: true,
    });
  }
  const meta = (err as { $metadata?: { httpStatusCode?: number }; $retryable?: unknown } | undefined) ?? {};
  const status = meta.$metadata?.httpStatusCode;
  const retriable =
    meta.$retryable !== undefined ||
    status === undefined ||
    status >= 500 ||
    name === 'ResourceNotFoundException' ||
    name === 'TimeoutError';
  return new KinesisError(operation, stream, shardId, describeCause(err), { cause: err, retriable });
}

/**
 * {@link toKinesisError} with the enhanced fan-out outcomes named: `ResourceInUseException` (a
 * subscription to the shard is still open, or was opened less than 5 seconds ago; the consumer is
 * not ACTIVE) and `ResourceNotFoundException` on a shard or consumer. Both are retried.
 */
export function toEfoError(err: unknown, operation: string, stream: string, shardId?: string): KinesisError | StreamNotFoundError | AssumeRoleError {
  const name = errorName(err);
  if (name === 'ResourceInUseException') {
    return new KinesisError(operation, stream, shardId, describeCause(err), { cause: err, code: 'KINESIS_RESOURCE_IN_USE', retriable: true });
  }
  if (name === 'ResourceNotFoundException' && operation !== 'DescribeStreamSummary') {
    return new KinesisError(operation, stream, shardId, describeCause(err), {
      cause: err,
      code: 'KINESIS_RESOURCE_NOT_FOUND',
      retriable: true,
    });
  }
  return toKinesisError(err, operation, stream, shardId);
}
