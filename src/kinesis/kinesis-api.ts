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
  /**
   * Address the stream named `name` by `arn` from now on (a stream in another account). Calls keep
   * naming streams by name; a seam without this method cannot consume streams by ARN.
   */
  useStreamArn?(name: string, arn: string): void;
}

/** Whether `value` is a ready-made {@link KinesisApi} seam (tests, benchmarks, custom transports). */
export function isKinesisApi(value: unknown): value is KinesisApi {
  const v = value as Partial<KinesisApi> | null | undefined;
  return typeof v?.listShards === 'function' && typeof v.getShardIterator === 'function' && typeof v.getRecords === 'function';
}

// ---------------------------------------------------------------------------------------------
// Enhanced fan-out (SubscribeToShard): a separate seam, so that existing KinesisApi doubles and
// custom transports stay valid. `SdkKinesisApi` implements both.

/** One SubscribeToShard event: a batch of records and where to resume after it. */
export interface ShardEvent {
  records: _Record[];
  /**
   * Where the next subscription resumes (`AFTER_SEQUENCE_NUMBER`). Absent only in the last event
   * of a closed shard, which carries `childShards` instead.
   */
  continuationSequenceNumber: string | undefined;
  millisBehindLatest: number | undefined;
  /** The shard's children, in the last event of a closed shard (after a split or merge). */
  childShards: Array<{ shardId: string; parentShards: string[] }> | undefined;
}

/** A stream consumer (enhanced fan-out registration) as Kinesis describes it. */
export interface StreamConsumer {
  consumerName: string;
  consumerArn: string;
  /** `CREATING`, `ACTIVE` or `DELETING` (`UPDATING` during a change). Subscribing needs `ACTIVE`. */
  status: string;
}

/** What DescribeStreamSummary tells about a stream. */
export interface StreamSummary {
  streamArn: string;
  status: string;
}

/**
 * The enhanced fan-out calls. Like {@link KinesisApi}, each returns a cold Observable that makes
 * the call on subscribe and aborts it on unsubscribe; failures are typed {@link KinesisError}s.
 */
export interface EfoKinesisApi {
  /** The stream's ARN and status (DescribeStreamSummary). */
  describeStreamSummary(stream: string): Observable<StreamSummary>;
  /**
   * Registers consumer `name` on the stream. Emits the new consumer (usually `CREATING`), or
   * `undefined` when a consumer of that name exists already (`ResourceInUseException`): an
   * outcome, not an error.
   */
  registerStreamConsumer(stream: string, streamArn: string, name: string): Observable<StreamConsumer | undefined>;
  /** Consumer `name` of the stream, or `undefined` when there is none (`ResourceNotFoundException`). */
  describeStreamConsumer(stream: string, streamArn: string, name: string): Observable<StreamConsumer | undefined>;
  /** Deregisters consumer `name`; completes also when there is none. */
  deregisterStreamConsumer(stream: string, streamArn: string, name: string): Observable<void>;
  /**
   * One SubscribeToShard call: the events of the HTTP event stream, until Kinesis ends it (it does
   * after 5 minutes; the Observable then completes) or it fails. Unsubscribing aborts the stream.
   *
   * Pull semantics: the call subscribes to `demand$` and reads one event from the response per
   * emission, so events that nobody asked for stay in the connection's buffers and HTTP flow
   * control holds Kinesis back. Emit on `demand$` once to start, and again after each event.
   */
  subscribeToShard(
    stream: string,
    shardId: string,
    consumerArn: string,
    position: StartPosition,
    demand$: Observable<unknown>,
  ): Observable<ShardEvent>;
}

/** Whether `value` also has the enhanced fan-out calls. */
export function isEfoKinesisApi(value: unknown): value is EfoKinesisApi {
  const v = value as Partial<EfoKinesisApi> | null | undefined;
  return (
    typeof v?.describeStreamSummary === 'function' &&
    typeof v.registerStreamConsumer === 'function' &&
    typeof v.describeStreamConsumer === 'function' &&
    typeof v.deregisterStreamConsumer === 'function' &&
    typeof v.subscribeToShard === 'function'
  );
}
