import { Observable, catchError, defer, endWith, ignoreElements, map, throwError, type OperatorFunction } from 'rxjs';
import { progressOf } from '../checkpoint/linked-record.js';
import type { ShardProgress } from '../checkpoint/shard-progress.js';
import type { Kinesumer } from '../consumer/kinesumer.js';
import { ConfigError, UsageError } from '../errors.js';
import type { KinesumerRecord } from '../record.js';
import { callHandler, type HandlerResult } from './call-handler.js';
import { deadLetter$, resolvePolicy, tooOld, tooOldError, withRetries, type FailurePolicy, type FailurePolicyOptions } from './failure-policy.js';
import { Fifo } from '../internal/fifo.js';
import { ShardWork, type WorkEntry } from './shard-work.js';

/** Options of {@link processRecords}. */
export interface ProcessRecordsOptions extends FailurePolicyOptions {
  /**
   * The most records in flight at once across this client. Without it, one record per owned
   * shard: shards run in parallel, each strictly in order. With it, records of different
   * partition keys also run concurrently within a shard, and order is kept per partition key:
   * two records of one key never run at the same time, and the later one starts only after the
   * earlier one finished. Default: unset.
   */
  concurrency?: number;
}

/** What {@link processRecords} emits for each record, in completion order. */
export interface ProcessedRecord<R> {
  record: KinesumerRecord;
  /** What the handler returned (resolved); `undefined` for a dead-lettered record. */
  result: R | undefined;
  /** The record failed every attempt (or was too old) and the dead-letter sink took it. */
  deadLettered: boolean;
}

/** A run of records that must not overlap: one shard's (by default), or one partition key's within a shard. */
interface Lane {
  readonly work: ShardWork;
  readonly key: string;
  readonly queue: Fifo<WorkEntry>;
  busy: boolean;
  /** In the ready list. */
  ready: boolean;
}

/**
 * Processes each record of `consume()` with `handler` and checkpoints it by itself: place it
 * right on `consume()`'s output, instead of `concatMap(handle)` and `checkpoint(consumer)`.
 *
 * - Shards run in parallel, each in order; with `concurrency`, records of different partition
 *   keys run concurrently too, in order per key (see {@link ProcessRecordsOptions.concurrency}).
 * - A shard's checkpoint advances only over its contiguous processed prefix: the lowest record
 *   still in flight holds it back, so a crash re-delivers only unfinished work. Records waiting
 *   for their key count against `polling.maxInFlight`, so backpressure keeps working.
 * - A failure is retried with backoff and reported on `errors$` as a `ProcessingError`; after the
 *   last attempt the record goes to `deadLetter`. Without a sink, records are retried until they
 *   succeed (blocking only what order requires); with `retry.attempts` and no sink, a record that
 *   fails every attempt fails the pipeline.
 * - When a shard leaves this client (handoff, `refresh()`, `close()`), records after the last
 *   done one are not started; those running, and those before a done one, get up to
 *   `commit.timeout` to finish, so the final checkpoint covers all done work. A lost shard stops
 *   at once.
 *
 * ## Example
 * ```ts
 * import { createKinesumer, processRecords } from 'rx-kinesumer';
 *
 * consumer
 *   .consume(['orders'])
 *   .pipe(processRecords(consumer, (record) => save(record), { concurrency: 64 }))
 *   .subscribe();
 * ```
 *
 * @param consumer The consumer whose `consume()` delivers the records.
 * @param handler Processes one record: returns a Promise, an Observable or a plain value.
 * @param options Concurrency and the failure policy.
 * @returns An operator emitting `{ record, result, deadLettered }` for each processed record.
 * @throws ConfigError for invalid options.
 */
export function processRecords<R>(
  consumer: Kinesumer,
  handler: (record: KinesumerRecord) => HandlerResult<R>,
  options: ProcessRecordsOptions = {},
): OperatorFunction<KinesumerRecord, ProcessedRecord<R>> {
  const hooks = consumer.hooks();
  const policy = resolvePolicy('ProcessRecordsOptions', options, hooks);
  const { concurrency } = options;
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1)) {
    throw new ConfigError([
      {
        path: 'ProcessRecordsOptions.concurrency',
        message: `Invalid value ${String(concurrency)} for ProcessRecordsOptions.concurrency - Expected a positive integer (records in flight)`,
      },
    ]);
  }
  const limit = concurrency ?? Number.POSITIVE_INFINITY;
  const keyOf = concurrency === undefined ? () => '' : (record: KinesumerRecord) => record.partitionKey;
  const metrics = hooks.processing;

  return (source) =>
    new Observable<ProcessedRecord<R>>((subscriber) => {
      const untrack = hooks.track();
      const shards = new Map<ShardProgress, { work: ShardWork; lanes: Map<string, Lane> }>();
      const ready = new Fifo<Lane>();
      let running = 0;
      let sourceDone = false;
      let ended = false;
      let pumping = false;

      const queue = (lane: Lane) => {
        if (lane.busy || lane.ready || lane.queue.length === 0) return;
        lane.ready = true;
        ready.push(lane);
      };

      const pump = () => {
        // A handler that answers synchronously finishes inside start(), and finish() pumps again:
        // that call returns at once and this loop picks up what it queued, so a long queue is
        // worked through here instead of by one nested call per record (which overflows the stack).
        if (pumping) return;
        pumping = true;
        try {
          while (running < limit && ready.length > 0 && !subscriber.closed) {
            const lane = ready.shift()!;
            lane.ready = false;
            const entry = lane.queue.peek();
            // While draining, a record after the last done one waits (looked at again when that moves).
            if (entry === undefined || lane.busy || !lane.work.mayStart(entry)) continue;
            lane.queue.shift();
            start(lane, entry);
          }
        } finally {
          pumping = false;
        }
      };

      const start = (lane: Lane, entry: WorkEntry) => {
        lane.busy = true;
        running += 1;
        metrics.waiting -= 1;
        metrics.inFlight += 1;
        lane.work.started(entry);
        const run = processOne$(entry.record, handler, policy).subscribe({
          next: (outcome) => finish(lane, entry, outcome),
          error: (err: unknown) => fail(err),
        });
        if (!entry.done) entry.run = run;
      };

      const finish = (lane: Lane, entry: WorkEntry, outcome: { result: R | undefined; deadLettered: boolean }) => {
        if (entry.done) return;
        lane.busy = false;
        running -= 1;
        metrics.inFlight -= 1;
        if (!outcome.deadLettered) metrics.processed += 1;
        const frontierMoved = lane.work.finished(entry);
        subscriber.next({ record: entry.record, ...outcome });
        const shard = shards.get(lane.work.progress);
        if (lane.queue.length > 0) queue(lane);
        else shard?.lanes.delete(lane.key);
        if (frontierMoved && shard) for (const other of shard.lanes.values()) queue(other);
        pump();
        maybeComplete();
      };

      const fail = (err: unknown) => {
        metrics.failed += 1;
        hooks.failed(err);
        subscriber.error(err);
      };

      const gone = (work: ShardWork) => {
        const shard = shards.get(work.progress);
        if (shard === undefined || shard.work !== work) return;
        shards.delete(work.progress);
        for (const lane of shard.lanes.values()) metrics.waiting -= lane.queue.length;
        const cancelled = work.dispose().filter((entry) => entry.started).length;
        running -= cancelled;
        metrics.inFlight -= cancelled;
        ready.remove((lane) => lane.work === work);
        pump();
        maybeComplete();
      };

      const drainStarted = (work: ShardWork) => {
        const shard = shards.get(work.progress);
        if (shard) for (const lane of shard.lanes.values()) queue(lane);
        pump();
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
            subscriber.error(new UsageError('processRecords() was given a value that is not a record delivered by this consumer', 'FOREIGN_RECORD'));
            return;
          }
          // A record of a shard this client no longer holds (it lingered in the pipeline before us): its new owner has it.
          if (!progress.isHeld) return;
          let shard = shards.get(progress);
          if (shard === undefined) {
            shard = { work: new ShardWork(progress, hooks, drainStarted, gone), lanes: new Map() };
            shards.set(progress, shard);
          }
          const entry = shard.work.add(record);
          const key = keyOf(record);
          let lane = shard.lanes.get(key);
          if (lane === undefined) {
            lane = { work: shard.work, key, queue: new Fifo(), busy: false, ready: false };
            shard.lanes.set(key, lane);
          }
          lane.queue.push(entry);
          metrics.waiting += 1;
          queue(lane);
          pump();
        },
        error: (err: unknown) => {
          hooks.failed(err);
          subscriber.error(err);
        },
        complete: () => {
          // close(), or the group stopped: every shard drains as on a release.
          sourceDone = true;
          for (const { work } of shards.values()) {
            work.startDraining();
            drainStarted(work);
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

/** One record under the failure policy: its handler's result, or dead-lettered. */
function processOne$<R>(
  record: KinesumerRecord,
  handler: (record: KinesumerRecord) => HandlerResult<R>,
  policy: FailurePolicy,
): Observable<{ result: R | undefined; deadLettered: boolean }> {
  return defer(() => {
    if (tooOld(record, policy)) {
      const error = tooOldError(record, policy);
      policy.hooks.report(error);
      return deadLetter$([record], error, 0, policy).pipe(endWith({ result: undefined, deadLettered: true }));
    }
    return withRetries(record, 1, () => callHandler(handler, record), policy).pipe(
      map((result) => ({ result, deadLettered: false })),
      catchError((err: unknown) =>
        policy.deadLetter === undefined
          ? throwError(() => err)
          : deadLetter$([record], (err as { cause?: unknown }).cause ?? err, policy.attempts, policy).pipe(
              ignoreElements(),
              endWith({ result: undefined, deadLettered: true }),
            ),
      ),
    );
  });
}
