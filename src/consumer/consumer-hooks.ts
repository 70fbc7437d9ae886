import type { SchedulerLike } from 'rxjs';
import type { KinesumerError } from '../errors.js';
import type { KinesumerEvent, ProcessingMetrics } from '../metrics/metrics.js';
import type { KinesumerRecord } from '../record.js';

/** Whatever an event is, without its timestamp (the recorder stamps it). */
type Unstamped<E> = E extends unknown ? Omit<E, 'at'> : never;

/**
 * What the operators placed on a consumer's records (`checkpoint()`, `processRecords()`,
 * `processBatches()`) use of it. Not public API, but not marked internal either: the shipped
 * declarations of the processing helpers name it, and `stripInternal` would leave them pointing
 * at nothing (the packed-tarball spec type-checks them).
 */
export interface ConsumerHooks {
  scheduler: SchedulerLike;
  /** The consumer's `retry` options: the defaults of the processing operators' retry policy. */
  retry: { initialDelay: number; maxDelay: number; random?: () => number };
  /** `commit.timeout`, ms. */
  commitTimeout: number;
  /** Reports on `errors$` (and counts and logs). */
  report: (err: KinesumerError) => void;
  /** Emits on `events$`. */
  emit: (event: Unstamped<KinesumerEvent>) => void;
  /** The processing counters the metrics snapshots copy. */
  processing: ProcessingMetrics;
  /** Whether `record` was delivered by this consumer. */
  owns: (record: unknown) => boolean;
  /** Marks a record processed; throws as `markRecord()` does. */
  mark: (record: KinesumerRecord) => void;
  /** Whether marks are refused now: `close()` finished its final commit. */
  closed: () => boolean;
  /**
   * A pipeline on the records failed with `err`: reported on `errors$` (a `PipelineError`) and in
   * `events$`, unless it is the record stream's own failure (reported already).
   */
  failed: (err: unknown) => void;
  /** Registers a pipeline that `close()` waits for; call the result when it ends. */
  track: () => () => void;
}
