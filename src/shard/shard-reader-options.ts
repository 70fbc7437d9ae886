import type { _Record } from '@aws-sdk/client-kinesis';
import type { Observable, SchedulerLike } from 'rxjs';
import type { KinesumerError } from '../errors.js';
import type { StartPosition } from '../kinesis/kinesis-api.js';
import type { RetryPolicy } from '../retry.js';

/** What every shard reader needs, polling or enhanced fan-out. */
export interface ShardReaderOptions<R> {
  stream: string;
  shardId: string;
  /** Where to start: after the checkpoint, or the initial position. */
  start: StartPosition;
  scheduler: SchedulerLike;
  retry: Omit<RetryPolicy, 'scheduler'>;
  report: (err: KinesumerError) => void;
  /**
   * Builds the delivered records of one page or event (so the caller can link them to its shard's
   * progress). The reader emits what it returns as one value, and nothing when it is empty.
   */
  toRecords: (records: _Record[]) => R[];
  /**
   * Backpressure: before each GetRecords call, or before reading each event from the HTTP stream,
   * the reader waits until this emits `true`. Default: always ready.
   */
  ready$?: Observable<boolean>;
  /**
   * Whether `ready$` would say `true` at once, asked first: the usual case (not paused, room in
   * flight) then subscribes to nothing. Default: ask `ready$`.
   */
  readyNow?: () => boolean;
}
