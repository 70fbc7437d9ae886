import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  type GetShardIteratorCommandInput,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { Observable } from 'rxjs';
import { KinesisError, StreamNotFoundError, ThrottledError, describeCause } from '../errors.js';
import type { KinesisApi, RecordsPage, ShardDescription, StartPosition } from './kinesis-api.js';

const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'ThrottlingException',
  'KMSThrottlingException',
]);

/** Maps an SDK failure of `operation` to the library's error hierarchy. */
export function toKinesisError(err: unknown, operation: string, stream: string, shardId?: string): KinesisError | StreamNotFoundError {
  const name = (err as { name?: string } | undefined)?.name ?? '';
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

/** Runs an SDK call on subscribe and aborts it on unsubscribe, so no request outlives its reader. */
function abortable<T>(call: (signal: AbortSignal) => Promise<T>, mapError: (err: unknown) => unknown): Observable<T> {
  return new Observable<T>((subscriber) => {
    const controller = new AbortController();
    call(controller.signal).then(
      (value) => {
        subscriber.next(value);
        subscriber.complete();
      },
      (err: unknown) => {
        if (!controller.signal.aborted) subscriber.error(mapError(err));
      },
    );
    return () => controller.abort();
  });
}

function describeShard(shard: Shard): ShardDescription {
  return {
    shardId: shard.ShardId ?? '',
    parentShardId: shard.ParentShardId ?? undefined,
    adjacentParentShardId: shard.AdjacentParentShardId ?? undefined,
    closed: shard.SequenceNumberRange?.EndingSequenceNumber != null,
    startingSequenceNumber: shard.SequenceNumberRange?.StartingSequenceNumber ?? undefined,
  };
}

function iteratorInput(stream: string, shardId: string, position: StartPosition): GetShardIteratorCommandInput {
  const base = { StreamName: stream, ShardId: shardId, ShardIteratorType: position.type };
  switch (position.type) {
    case 'AFTER_SEQUENCE_NUMBER':
    case 'AT_SEQUENCE_NUMBER':
      return { ...base, StartingSequenceNumber: position.sequenceNumber };
    case 'AT_TIMESTAMP':
      return { ...base, Timestamp: position.timestamp };
    default:
      return base;
  }
}

/** The {@link KinesisApi} over a real `KinesisClient`. */
export class SdkKinesisApi implements KinesisApi {
  constructor(private readonly client: KinesisClient) {}

  listShards(stream: string): Observable<ShardDescription[]> {
    return abortable(
      async (abortSignal) => {
        const shards: ShardDescription[] = [];
        let nextToken: string | undefined;
        do {
          // With NextToken, StreamName must be left out (Kinesis rejects both together).
          const input = nextToken === undefined ? { StreamName: stream } : { NextToken: nextToken };
          const page = await this.client.send(new ListShardsCommand(input), { abortSignal });
          for (const shard of page.Shards ?? []) shards.push(describeShard(shard));
          nextToken = page.NextToken ?? undefined;
        } while (nextToken !== undefined);
        return shards;
      },
      (err) => toKinesisError(err, 'ListShards', stream),
    );
  }

  getShardIterator(stream: string, shardId: string, position: StartPosition): Observable<string> {
    return abortable(
      async (abortSignal) => {
        const out = await this.client.send(new GetShardIteratorCommand(iteratorInput(stream, shardId, position)), { abortSignal });
        if (!out.ShardIterator) throw new Error('GetShardIterator returned no iterator');
        return out.ShardIterator;
      },
      (err) => toKinesisError(err, 'GetShardIterator', stream, shardId),
    );
  }

  getRecords(stream: string, shardId: string, iterator: string, limit: number): Observable<RecordsPage> {
    return abortable(
      async (abortSignal) => {
        const out = await this.client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: limit }), { abortSignal });
        return {
          records: out.Records ?? [],
          nextShardIterator: out.NextShardIterator ?? undefined,
          millisBehindLatest: out.MillisBehindLatest ?? undefined,
        };
      },
      (err) => toKinesisError(err, 'GetRecords', stream, shardId),
    );
  }
}
