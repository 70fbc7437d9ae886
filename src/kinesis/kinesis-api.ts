import type { Observable } from 'rxjs';
import type { _Record } from '@aws-sdk/client-kinesis';

/** One shard as ListShards describes it. */
export interface ShardDescription {
  shardId: string;
  parentShardId: string | undefined;
  adjacentParentShardId: string | undefined;
  /** Whether the shard has an ending sequence number, i.e. was closed by a split or merge. */
  closed: boolean;
  /** The shard's first sequence number. */
  startingSequenceNumber: string | undefined;
}

/** Where to start reading a shard. */
export type StartPosition =
  | { type: 'AFTER_SEQUENCE_NUMBER'; sequenceNumber: string }
  | { type: 'AT_SEQUENCE_NUMBER'; sequenceNumber: string }
  | { type: 'LATEST' }
  | { type: 'TRIM_HORIZON' }
  | { type: 'AT_TIMESTAMP'; timestamp: Date };

/** One GetRecords answer. */
export interface RecordsPage {
  records: _Record[];
  /** Absent at the end of a closed shard. */
  nextShardIterator: string | undefined;
  millisBehindLatest: number | undefined;
}

/**
 * The seam between rx-kinesumer and Kinesis: the only calls the polling reader and the leader
 * make. Each returns a cold Observable that makes the call on subscribe and aborts it on
 * unsubscribe. Marble tests replace it with `cold('--a|')` doubles; {@link SdkKinesisApi} is the
 * real one. Failures are typed {@link KinesisError}s.
 */
export interface KinesisApi {
  /** Every shard of `stream`, open and closed, following ListShards pagination. */
  listShards(stream: string): Observable<ShardDescription[]>;
  /** A shard iterator for `position`. */
  getShardIterator(stream: string, shardId: string, position: StartPosition): Observable<string>;
  /** Up to `limit` records from `iterator`. */
  getRecords(stream: string, shardId: string, iterator: string, limit: number): Observable<RecordsPage>;
}

/** Whether `value` is a ready-made {@link KinesisApi} seam (tests, benchmarks, custom transports). */
export function isKinesisApi(value: unknown): value is KinesisApi {
  const v = value as Partial<KinesisApi> | null | undefined;
  return typeof v?.listShards === 'function' && typeof v.getShardIterator === 'function' && typeof v.getRecords === 'function';
}
