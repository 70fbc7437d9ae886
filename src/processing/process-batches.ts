import { EMPTY, Observable, catchError, concat, defer, map, mergeMap, of, throwError, type OperatorFunction, type Subscription } from 'rxjs';
import { progressOf } from '../checkpoint/linked-record.js';
import type { ShardProgress } from '../checkpoint/shard-progress.js';
import type { Kinesumer } from '../consumer/kinesumer.js';
import { ConfigError, UsageError, type ConfigProblem } from '../errors.js';
import { Fifo } from '../internal/fifo.js';
import type { KinesumerRecord } from '../record.js';
import { callHandler, type HandlerResult } from './call-handler.js';
import { deadLetter$, reportFailure, resolvePolicy, retryDelay, timed, tooOld, tooOldError, type FailurePolicy, type FailurePolicyOptions } from './failure-policy.js';
import { ShardWork, type WorkEntry } from './shard-work.js';

/** Options of {@link processBatches}. */
export interface ProcessBatchesOptions extends FailurePolicyOptions {
  /** Records per batch, at most (1 to 10,000). Default 10,000: in practice, what arrived together (a page). */
  maxRecords?: number;
  /** How long a batch waits to fill up to `maxRecords` after its first record arrived, ms. Default 0: a batch is what arrived together. */
  maxWait?: number;
  /**
   * When the handler fails on a batch of more than one record, split it in halves and process
   * them one after the other (in order), down to single records, so that one bad record is
   * isolated and the rest are processed (like Lambda's BisectBatchOnFunctionError). The retry
   * policy applies to single records. Default `false`: the whole batch is retried.
   */
  bisectOnError?: boolean;
}

/** What a batch handler may report instead of failing: the records it could not process (like Lambda's ReportBatchItemFailures). */
export interface BatchItemFailures {
  failed: readonly KinesumerRecord[];
}

/** What {@link processBatches} emits each time records of a shard are done, in completion order. */
export interface ProcessedBatch<R> {
  /** The records done, in order: all of a batch, or the part before a reported failure. */
  records: readonly KinesumerRecord[];
  /** What the handler returned for them; `undefined` when dead-lettered. */
  result: R | undefined;
  /** They failed every attempt (or were too old) and the dead-letter sink took them. */
  deadLettered: boolean;
}

/** A step of one batch: records done, in order, and how. */
type Step<R> = ProcessedBatch<R>;

/**
 * Processes the records of `consume()` in batches, one shard's records in order in each, and
 * checkpoints them by itself. One batch per shard is in flight at a time; shards run in parallel.
 *
 * - Partial failure: the handler may return `{ failed: [records] }` (records of the batch):
 *   everything before the first failed record is checkpointed, and the rest is retried as a new
 *   attempt. Throwing (or rejecting) fails the whole batch.
 * - `bisectOnError` splits a failing batch in halves to isolate a bad record.
 * - The failure policy (retries, `deadLetter`, `maxRecordAge`) and the handoff and `close()`
 *   behaviour are those of `processRecords()`: a batch in flight when its shard leaves gets up to
 *   `commit.timeout` to finish; no new batch starts.
 *
 * ## Example
 * ```ts
 * import { processBatches } from 'rx-kinesumer';
 *
 * consumer
 *   .consume(['orders'])
 *   .pipe(processBatches(consumer, (records) => db.insertMany(records.map(toRow)), { maxRecords: 500 }))
 *   .subscribe();
 * ```
 *
 * @param consumer The consumer whose `consume()` delivers the records.
 * @param handler Processes one batch: returns a Promise, an Observable or a plain value, or `{ failed }`.
 * @param options Batch size, waiting, bisection and the failure policy.
 * @returns An operator emitting `{ records, result, deadLettered }` each time records are done.
 * @throws ConfigError for invalid options.
 */
export function processBatches<R>(
  consumer: Kinesumer,
  handler: (records: readonly KinesumerRecord[]) => HandlerResult<R | BatchItemFailures>,
  options: ProcessBatchesOptions = {},
): OperatorFunction<KinesumerRecord, ProcessedBatch<R>> {
  const hooks = consumer.hooks();
  const policy = resolvePolicy('ProcessBatchesOptions', options, hooks);
  const problems: ConfigProblem[] = [];
  const { maxRecords = 10_000, maxWait = 0, bisectOnError = false } = options;
  if (!Number.isInteger(maxRecords) || maxRecords < 1 || maxRecords > 10_000) {
    problems.push({ path: 'ProcessBatchesOptions.maxRecords', message: `Invalid value ${String(maxRecords)} for ProcessBatchesOptions.maxRecords - Expected an integer from 1 to 10000` });
  }
  if (!Number.isInteger(maxWait) || maxWait < 0) {
    problems.push({ path: 'ProcessBatchesOptions.maxWait', message: `Invalid value ${String(maxWait)} for ProcessBatchesOptions.maxWait - Expected a non-negative integer (milliseconds)` });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const metrics = hooks.processing;
  const run$ = (records: readonly KinesumerRecord[]) => batch$(records, 1, handler, policy, bisectOnError);

  return (source) =>
    new Observable<ProcessedBatch<R>>((subscriber) => {
      const untrack = hooks.track();
      interface Shard {
        work: ShardWork;
        buffer: Fifo<WorkEntry>;
        running: WorkEntry[];
        run: Subscription | undefined;
        wait: Subscription | undefined;
      }
      const shards = new Map<ShardProgress, Shard>();
      let sourceDone = false;
      let ended = false;

      const schedule = (shard: Shard) => {
        if (shard.running.length > 0 || shard.buffer.length === 0 || shard.work.draining || shard.wait) return;
        if (shard.buffer.length >= maxRecords) return start(shard);
        // Let the rest of the page (delivered in the same task) or of maxWait come first.
        shard.wait = hooks.scheduler.schedule(() => {
          shard.wait = undefined;
          start(shard);
        }, maxWait);
      };

      const start = (shard: Shard) => {
        shard.wait?.unsubscribe();
        shard.wait = undefined;
        if (shard.running.length > 0 || shard.work.draining || subscriber.closed) return;
        const entries: WorkEntry[] = [];
        while (entries.length < maxRecords && shard.buffer.length > 0) entries.push(shard.buffer.shift()!);
        if (entries.length === 0) return;
        shard.running = entries;
        metrics.waiting -= entries.length;
        metrics.inFlight += entries.length;
        for (const entry of entries) shard.work.started(entry);
        const byRecord = new Map(entries.map((entry) => [entry.record, entry]));
        shard.run = run$(entries.map((e) => e.record)).subscribe({
          next: (step) => {
            for (const record of step.records) {
              const entry = byRecord.get(record);
              if (entry === undefined || entry.done) continue;
              metrics.inFlight -= 1;
              if (!step.deadLettered) metrics.processed += 1;
              shard.work.finished(entry);
            }
            subscriber.next(step);
          },
          error: (err: unknown) => {
            metrics.failed += 1;
            hooks.failed(err);
            subscriber.error(err);
          },
          complete: () => {
            shard.running = [];
            shard.run = undefined;
            schedule(shard);
            maybeComplete();
          },
        });
      };

      const gone = (work: ShardWork) => {
        const shard = shards.get(work.progress);
        if (shard === undefined || shard.work !== work) return;
        shards.delete(work.progress);
        shard.wait?.unsubscribe();
        shard.run?.unsubscribe();
        metrics.waiting -= shard.buffer.length;
        metrics.inFlight -= shard.running.filter((entry) => !entry.done).length;
        work.dispose();
        maybeComplete();
      };

      const maybeComplete = () => {
        if (!sourceDone || ended) return;
        for (const { work } of shards.values()) if (!work.isDrained()) return;
        ended = true;
        subscriber.complete();
      };

      const subscription = source.subscribe({
        next: (record) => {
          const progress = progressOf(record);
          if (!hooks.owns(record) || progress === undefined) {
            subscriber.error(new UsageError('processBatches() was given a value that is not a record delivered by this consumer', 'FOREIGN_RECORD'));
            return;
          }
          if (!progress.isHeld) return;
          let shard = shards.get(progress);
          if (shard === undefined) {
            shard = { work: new ShardWork(progress, hooks, () => undefined, gone), buffer: new Fifo(), running: [], run: undefined, wait: undefined };
            shards.set(progress, shard);
          }
          shard.buffer.push(shard.work.add(record));
          metrics.waiting += 1;
          schedule(shard);
        },
        error: (err: unknown) => {
          hooks.failed(err);
          subscriber.error(err);
        },
        complete: () => {
          sourceDone = true;
          for (const shard of shards.values()) {
            shard.work.startDraining();
            shard.wait?.unsubscribe();
            shard.wait = undefined;
          }
          maybeComplete();
        },
      });

      return () => {
        subscription.unsubscribe();
        for (const { work } of [...shards.values()]) gone(work);
        untrack();
      };
    });
}

/**
 * One batch under the failure policy: emits a {@link Step} for each run of records that got
 * done, in order, and completes when all of them are; fails only when a record failed every
 * attempt and there is no dead-letter sink.
 */
function batch$<R>(
  records: readonly KinesumerRecord[],
  attempt: number,
  handler: (records: readonly KinesumerRecord[]) => HandlerResult<R | BatchItemFailures>,
  policy: FailurePolicy,
  bisect: boolean,
): Observable<Step<R>> {
  return defer(() => {
    const old = records.filter((record) => tooOld(record, policy));
    if (attempt === 1 && old.length > 0) {
      // in order: the records before the first too-old one, the too-old ones, then the rest
      const i = records.indexOf(old[0]!);
      const error = tooOldError(old[0]!, policy);
      policy.hooks.report(error);
      return concat(
        i > 0 ? batch$(records.slice(0, i), 1, handler, policy, bisect) : EMPTY,
        concat(deadLetter$([records[i]!], error, 0, policy), of({ records: [records[i]!], result: undefined, deadLettered: true })),
        records.length > i + 1 ? batch$(records.slice(i + 1), 1, handler, policy, bisect) : EMPTY,
      );
    }
    const first = records[0]!;
    // Only the handler's own failure is caught here: a failure further down (a retry that ran out
    // without a sink) must not be taken for this attempt's.
    return timed(callHandler(handler, records), policy).pipe(
      map((result) => ({ ok: true as const, result })),
      catchError((err: unknown) => of({ ok: false as const, err })),
      mergeMap((outcome): Observable<Step<R>> => {
        if (!outcome.ok) {
          if (bisect && records.length > 1) {
            reportFailure(first, records.length, attempt, outcome.err, policy, false);
            const half = Math.ceil(records.length / 2);
            return concat(batch$(records.slice(0, half), 1, handler, policy, bisect), batch$(records.slice(half), 1, handler, policy, bisect));
          }
          return again$(records, outcome.err);
        }
        const result = outcome.result as R | undefined;
        const failedAt = firstFailure(records, result);
        if (failedAt === undefined) return of({ records, result, deadLettered: false });
        // Everything before the first failed record is done; the rest is tried again.
        const done = records.slice(0, failedAt);
        const rest = records.slice(failedAt);
        const error = new Error(`the handler reported ${rest.length === records.length ? 'every record' : `the records from ${rest[0]!.sequenceNumber}`} as failed`);
        return concat(done.length > 0 ? of({ records: done, result, deadLettered: false }) : EMPTY, again$(rest, error));
      }),
    );
  });

  /** Attempt `attempt` failed on `failed` (from the start of them): after the backoff the next one, or the sink after the last. */
  function again$(failed: readonly KinesumerRecord[], err: unknown): Observable<Step<R>> {
    const { error, last } = reportFailure(failed[0]!, failed.length, attempt, err, policy);
    if (!last) return retryDelay(attempt, policy).pipe(mergeMap(() => batch$(failed, attempt + 1, handler, policy, bisect)));
    if (policy.deadLetter === undefined) return throwError(() => error);
    return concat(deadLetter$(failed, err, attempt, policy), of({ records: failed, result: undefined, deadLettered: true }));
  }
}

/** The index of the first record `result` reports as failed, or `undefined` when it reports none. */
function firstFailure(records: readonly KinesumerRecord[], result: unknown): number | undefined {
  const failed = (result as Partial<BatchItemFailures> | null | undefined)?.failed;
  if (!Array.isArray(failed) || failed.length === 0) return undefined;
  let first = records.length;
  for (const record of failed) {
    const i = records.indexOf(record as KinesumerRecord);
    if (i < 0) throw new UsageError('a processBatches() handler reported as failed a record that is not in its batch', 'FOREIGN_RECORD');
    if (i < first) first = i;
  }
  return first;
}
