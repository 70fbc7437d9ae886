import type { SchedulerLike } from 'rxjs';
import { KinesumerError, PipelineError } from '../errors.js';
import type { KinesumerEvent, ProcessingMetrics } from '../metrics/metrics.js';
import type { KinesumerRecord } from '../record.js';
import type { KinesumerParts } from './kinesumer-parts.js';
import type { Pipelines } from './pipelines.js';

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

/**
 * @internal The hooks of a consumer made of `parts`. `failures` holds what was reported already (the record
 * stream's own failure, and each pipeline failure once), so one failure is not reported twice.
 */
export function consumerHooks(parts: KinesumerParts, pipelines: Pipelines, failures: WeakSet<object>): ConsumerHooks {
  const { config, checkpointer, recorder, report } = parts;
  return {
    scheduler: config.scheduler,
    retry: config.retry,
    commitTimeout: config.commit.timeout,
    report,
    emit: (event) => recorder.emit(event),
    processing: recorder.processing,
    owns: (record) => checkpointer.owns(record),
    mark: (record) => checkpointer.mark(record),
    closed: () => checkpointer.isClosed,
    failed: (err) => {
      if (typeof err === 'object' && err !== null) {
        if (failures.has(err)) return;
        failures.add(err);
      }
      report(new PipelineError({ cause: err }));
      recorder.emit({ type: 'pipelineFailed', code: err instanceof KinesumerError ? err.code : 'PIPELINE_FAILED' });
    },
    track: () => pipelines.track(),
  };
}
