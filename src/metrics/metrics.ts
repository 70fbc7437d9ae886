import type { ShardActivity } from '../state-store/state-store.js';

/** What one owned shard did, in a {@link KinesumerMetrics} snapshot. Counters count since the shard was taken. */
export interface ShardMetrics {
  stream: string;
  shardId: string;
  /** Records delivered from this shard. */
  records: number;
  /** Payload bytes delivered. */
  bytes: number;
  /** Records covered by committed checkpoints. */
  checkpointed: number;
  /** The last `MillisBehindLatest` Kinesis reported, if any. */
  millisBehindLatest: number | undefined;
  /** Milliseconds since the last record was delivered (scheduler time); `undefined` before the first. */
  msSinceLastRecord: number | undefined;
  /** GetRecords calls (or SubscribeToShard subscriptions) made. */
  calls: number;
  /** Calls Kinesis throttled. */
  throttles: number;
  /** How old the last delivered record (its approximate arrival time) is now, ms; `undefined` before the first. */
  lastRecordAgeMs: number | undefined;
  /** Records delivered and not yet marked by `checkpoint()`. */
  inFlight: number;
  /** What this client is doing with the shard (see the README's `kinesumer status`). */
  state: ShardActivity;
  /** Reported stalled (`shardStalled`) and nothing delivered since. */
  stalled: boolean;
  /** Stalls reported for this shard. */
  stalls: number;
}

/** A snapshot of a consumer's metrics, emitted by `metrics$`. Counters are totals since `consume()`. */
export interface KinesumerMetrics {
  /** `scheduler.now()` when the snapshot was taken. */
  at: number;
  app: string;
  clientId: string;
  leader: boolean;
  /** Alive clients seen at the last sync round, this one included. */
  aliveClients: number;
  ownedShards: number;
  rebalances: {
    /** Changes of this client's assignment after the first one. */
    count: number;
    /** Milliseconds from the last change until every newly assigned shard was taken; `undefined` while one is pending. */
    lastDurationMs: number | undefined;
  };
  commits: {
    /** Fenced checkpoint writes that were applied. */
    count: number;
    /** Writes that failed (and were kept for the next commit) or were rejected (shard lost). */
    failures: number;
    /** Latency of the last write, ms. */
    lastLatencyMs: number | undefined;
  };
  /** State-store calls by method name. */
  storeCalls: Record<string, number>;
  /** Errors reported on `errors$`, by code. */
  errors: Record<string, number>;
  /** What `processRecords()` and `processBatches()` did (all zero without them). */
  processing: ProcessingMetrics;
  /** Every owned shard. */
  shards: ShardMetrics[];
}

/** What the processing operators did, in a {@link KinesumerMetrics} snapshot. Counters count since `consume()`. */
export interface ProcessingMetrics {
  /** Records whose handler runs now (a batch counts its records). */
  inFlight: number;
  /** Records handed to a processing operator that wait: for an earlier record of their key or shard, or for the concurrency limit. */
  waiting: number;
  /** Records the handler processed. */
  processed: number;
  /** Failed attempts that were tried again. */
  retries: number;
  /** Records given to the dead-letter sink (failed every attempt, or too old). */
  deadLettered: number;
  /** Records given up on without a sink: the pipeline failed. */
  failed: number;
  /** Total time handlers took for the processed records and batches, ms (with `handlerCalls`, the mean). */
  handlerMs: number;
  /** Handler calls that succeeded. */
  handlerCalls: number;
}

/** Lifecycle events of a consumer, each stamped with `scheduler.now()`. */
export type KinesumerEvent =
  | { type: 'shardAcquired' | 'shardReleased' | 'shardLost' | 'shardFinished'; at: number; stream: string; shardId: string }
  | { type: 'shardPaused' | 'shardResumed' | 'shardSought'; at: number; stream: string; shardId: string }
  | { type: 'shardStalled'; at: number; stream: string; shardId: string; millisBehindLatest: number | undefined; idleMs: number; error: string | undefined }
  | { type: 'leaderGained' | 'leaderLost'; at: number }
  | { type: 'clientJoined' | 'clientLeft'; at: number; clientId: string }
  | { type: 'checkpointCommitted'; at: number; stream: string; shardId: string; sequenceNumber: string | undefined }
  | { type: 'checkpointRejected'; at: number; stream: string; shardId: string }
  | { type: 'recordRetried' | 'recordDeadLettered'; at: number; stream: string; shardId: string; sequenceNumber: string; attempt: number }
  | { type: 'pipelineFailed'; at: number; code: string };
