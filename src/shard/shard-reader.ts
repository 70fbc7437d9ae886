import type { _Record } from '@aws-sdk/client-kinesis';
import type { Observable, SchedulerLike } from 'rxjs';
import type { ShardProgress } from '../checkpoint/shard-progress.js';
import type { EnhancedFanOut } from '../efo/enhanced-fan-out.js';
import { KinesisError, type KinesumerError } from '../errors.js';
import { errorName } from '../kinesis/kinesis-errors.js';
import type { KinesisApi, StartPosition } from '../kinesis/kinesis-api.js';
import type { MetricsRecorder } from '../metrics/metrics-recorder.js';
import type { KinesumerRecord } from '../record.js';
import type { RetryPolicy } from '../retry.js';
import { backpressure } from './backpressure.js';
import { linkRecords } from './link-records.js';
import type { PauseControl } from './pause-control.js';
import { pollingReader } from './polling-reader.js';

/** The `polling` options, as the readers use them. */
export interface PollingOptions {
  scanLimit: number;
  scanTimeout: number;
  idleInterval: number;
  maxInFlight: number;
}

/** What reading a taken shard needs. */
export interface ShardReaderDeps {
  kinesis: KinesisApi;
  /** Enhanced fan-out, when `efo` is on: shards are read with SubscribeToShard instead of polling. */
  efo: EnhancedFanOut | undefined;
  scheduler: SchedulerLike;
  polling: PollingOptions;
  retry: Omit<RetryPolicy, 'scheduler'>;
  report: (err: KinesumerError) => void;
  recorder: MetricsRecorder;
  /** Whether a `checkpoint()` is in the pipeline now (backpressure needs one). */
  tracked: () => boolean;
  /** Whether the shard is known to be closed (the last sync round's shard list says so). */
  isClosed: () => boolean;
  /** `consumer.pause()` / `resume()`: a paused shard's reader makes no call until it is resumed. */
  pause: PauseControl;
}

/**
 * The records of a shard this client took, from `start` until the shard ends: read with
 * enhanced fan-out when it is on, otherwise polled, each page linked to `progress` and held back
 * by its backpressure and while it is paused. One array per page or event.
 */
export function shardReader(progress: ShardProgress, start: StartPosition, deps: ShardReaderDeps): Observable<KinesumerRecord[]> {
  const { stream, shardId } = progress;
  const { polling, scheduler, recorder } = deps;
  // What fails on this shard is also what its heartbeat says it is stuck on, until a call succeeds.
  const report = (err: KinesumerError): void => {
    if (err instanceof KinesisError && err.shardId === shardId) recorder.readFailed(stream, shardId, readFailure(err));
    deps.report(err);
  };
  const toRecords = (records: _Record[]): KinesumerRecord[] => {
    const linked = linkRecords(records, progress, report);
    recorder.delivered(stream, shardId, linked);
    return linked;
  };
  const held = backpressure(progress, { maxInFlight: polling.maxInFlight, scanLimit: polling.scanLimit, scheduler, tracked: deps.tracked });
  const { limit } = held;
  // Before each call: not paused, and room under the in-flight bound. Asked synchronously first,
  // so a poll of a running shard with room subscribes to no gate.
  const ready$ = deps.pause.gate(stream, shardId, held.ready$);
  const readyNow = (): boolean => !deps.pause.isPaused(stream, shardId) && held.readyNow();
  const efo$ = deps.efo?.reader<KinesumerRecord>({
    stream,
    shardId,
    start,
    report,
    toRecords,
    ready$,
    readyNow,
    // kinesis-local ends no subscription with ChildShards: the reader checks closed shards.
    isClosed: deps.isClosed,
  });
  return (
    efo$ ??
    pollingReader<KinesumerRecord>({
      stream,
      shardId,
      start,
      kinesis: deps.kinesis,
      scheduler,
      scanLimit: polling.scanLimit,
      scanTimeout: polling.scanTimeout,
      idleInterval: polling.idleInterval,
      retry: deps.retry,
      report,
      toRecords,
      ready$,
      readyNow,
      // Ask only for what fits under the bound; after a stall (records dropped before
      // checkpoint()), read a full page.
      limit,
    })
  );
}

/** Kinesis errors that refuse the position a GetShardIterator call asks for (AWS, and kinesis-local for an unknown sequence number). */
const REFUSED_POSITION = new Set(['InvalidArgumentException', 'ResourceNotFoundException']);

/** What a failed call says about the shard: the SDK's name of the refusal (or the library's code), and whether the start position was refused. */
function readFailure(err: KinesisError): { code: string; rejected: boolean } {
  const name = errorName(err.cause);
  return { code: name || err.code, rejected: err.operation === 'GetShardIterator' && REFUSED_POSITION.has(name) };
}
