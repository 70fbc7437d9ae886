/**
 * rx-kinesumer: Kinesis consumer groups on RxJS 7.
 * @packageDocumentation
 */
export { Kinesumer } from './consumer/kinesumer.js';
export { createKinesumer } from './consumer/create-kinesumer.js';
export type { Assignment, CloseOptions } from './consumer/kinesumer.js';
export { checkpoint } from './checkpoint/checkpoint.js';
export type { KinesumerRecord } from './record.js';
export type { KinesumerMetrics, ShardMetrics, KinesumerEvent } from './metrics/metrics.js';
export type { Logger } from './logger.js';
export { silentLogger, stderrLogger } from './logger.js';
export type {
  KinesumerConfig,
  ResolvedConfig,
  InitialPosition,
  EfoOptions,
} from './config/kinesumer-config.js';
export type { KinesisOptions } from './kinesis/kinesis-options.js';
export type { DynamoDBStateStoreOptions } from './state-store/dynamodb/dynamodb-options.js';
export type { AwsSdkClient } from './internal/sdk-client.js';
export { DEFAULTS } from './config/defaults.js';
export {
  KinesumerError,
  ConfigError,
  StateStoreError,
  TableNotFoundError,
  MalformedItemError,
  StreamNotFoundError,
  KinesisError,
  ThrottledError,
  AssumeRoleError,
  CorruptAggregateError,
  CheckpointError,
  ShardLostError,
  ShardStalledError,
  ProcessingError,
  DeadLetterError,
  PipelineError,
  UsageError,
  ClosedError,
  isRetriable,
  toKinesumerError,
} from './errors.js';
export type { KinesumerErrorOptions, ConfigProblem, RecordOrigin } from './errors.js';
export type { StateStore, AcquireRequest, CachedShard, Checkpoint, ShardState, ShardCommit } from './state-store/state-store.js';
export { DynamoDBStateStore } from './state-store/dynamodb/dynamodb-state-store.js';
export { MemoryStateStore } from './state-store/memory-state-store.js';
export { createStateTable, stateTableDefinition } from './state-store/dynamodb/create-table.js';
export type {
  KinesisApi,
  EfoKinesisApi,
  ShardDescription,
  StartPosition,
  RecordsPage,
  ShardEvent,
  StreamConsumer,
  StreamSummary,
} from './kinesis/kinesis-api.js';
export { isEfoKinesisApi } from './kinesis/kinesis-api.js';
export { SdkKinesisApi } from './kinesis/sdk-kinesis-api.js';
export { backoffDelay } from './retry.js';
export type { RetryPolicy } from './retry.js';
export { processRecords } from './processing/process-records.js';
export type { ProcessRecordsOptions, ProcessedRecord } from './processing/process-records.js';
export type { FailurePolicyOptions, ProcessingFailure } from './processing/failure-policy.js';
export type { HandlerResult } from './processing/call-handler.js';
export { processBatches } from './processing/process-batches.js';
export type { ProcessBatchesOptions, ProcessedBatch, BatchItemFailures } from './processing/process-batches.js';
export { deadLetterToStream } from './processing/dead-letter-to-stream.js';
export { seekGroup, prepareSeek, applySeek, resolveSeekDependencies } from './group/seek-group.js';
export type { SeekPosition, SeekOptions, SeekResult, SeekDependencies, ResolvedSeekDependencies, SeekPlan, SeekStep } from './group/seek-group.js';
export type { SeekTarget } from './position.js';
export type { ShardStats, ShardActivity, HeartbeatStats, ShardSeek, GroupMember, ListGroupOptions, ShardIdRange } from './state-store/state-store.js';
export { SHARD_CACHE_PAGE_SIZE } from './state-store/state-store.js';
export type { AssignmentStrategy } from './group/assign-stream.js';
export type { DeadLetterEnvelope } from './processing/dead-letter-to-stream.js';
