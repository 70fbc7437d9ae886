import { EMPTY, Observable, concat, defer, ignoreElements, retry, tap, throwError, timer } from 'rxjs';
import type { ConsumerHooks } from '../consumer/consumer-hooks.js';
import { ConfigError, DeadLetterError, ProcessingError, describeCause, type ConfigProblem, type RecordOrigin } from '../errors.js';
import type { KinesumerRecord } from '../record.js';
import { backoffDelay, retryWithBackoff } from '../retry.js';
import { callHandler, type HandlerResult } from './call-handler.js';

/** A record the handler could not process, as the dead-letter sink gets it. */
export interface ProcessingFailure {
  /** The record (a user record of a KPL aggregate is one record). */
  record: KinesumerRecord;
  /** The last attempt's error (the handler's), or a `ProcessingError` `RECORD_TOO_OLD` for a record past `maxRecordAge`. */
  error: unknown;
  /** Attempts made: 0 for a record that was too old to try. */
  attempts: number;
}

/** How failed records are retried and where they go when they keep failing. Shared by `processRecords()` and `processBatches()`. */
export interface FailurePolicyOptions {
  retry?: {
    /**
     * Attempts per record (or batch), the first included. Default: unlimited without `deadLetter`
     * (a record that keeps failing is retried with capped backoff, and only what order requires
     * waits for it), 3 with it. Without `deadLetter`, a record that fails every attempt fails the
     * pipeline with its `ProcessingError`.
     */
    attempts?: number;
    /** First backoff delay, ms. Default: the consumer's `retry.initialDelay`. */
    initialDelay?: number;
    /** Largest backoff delay, ms. Default: the consumer's `retry.maxDelay`. */
    maxDelay?: number;
  };
  /**
   * Where a record goes after its last attempt (and a record older than `maxRecordAge`): once
   * what it returns resolves (a Promise), completes (an Observable) or is returned (a plain value), the record counts as processed and is checkpointed.
   * A sink that fails is retried with backoff and reported (`DeadLetterError`); the record is
   * never dropped. See `deadLetterToStream()` for a Kinesis stream as the sink.
   */
  deadLetter?: (failure: ProcessingFailure) => HandlerResult<unknown>;
  /**
   * Records older than this (by `approximateArrivalTimestamp`, on the consumer's scheduler) go to
   * the dead-letter sink without running the handler, ms. Needs `deadLetter`. Default: no limit.
   */
  maxRecordAge?: number;
}

/** {@link FailurePolicyOptions} with the defaults filled in, and what running under it needs. */
export interface FailurePolicy {
  attempts: number;
  initialDelay: number;
  maxDelay: number;
  deadLetter: FailurePolicyOptions['deadLetter'];
  maxRecordAge: number | undefined;
  hooks: ConsumerHooks;
}

/**
 * Checks the options (every problem in one {@link ConfigError}, named by path from `root`) and
 * fills in the defaults.
 */
export function resolvePolicy(root: string, options: FailurePolicyOptions, hooks: ConsumerHooks): FailurePolicy {
  const problems: ConfigProblem[] = [];
  const check = (path: string, value: unknown, ok: boolean, expected: string) => {
    if (value !== undefined && !ok) problems.push({ path: `${root}.${path}`, message: `Invalid value ${String(value)} for ${root}.${path} - Expected ${expected}` });
  };
  const { retry: r = {}, deadLetter, maxRecordAge } = options;
  check('retry.attempts', r.attempts, r.attempts === Infinity || (Number.isInteger(r.attempts) && r.attempts! >= 1), 'a positive integer or Infinity');
  check('retry.initialDelay', r.initialDelay, Number.isInteger(r.initialDelay) && r.initialDelay! > 0, 'a positive integer (milliseconds)');
  check('retry.maxDelay', r.maxDelay, Number.isInteger(r.maxDelay) && r.maxDelay! > 0, 'a positive integer (milliseconds)');
  check('maxRecordAge', maxRecordAge, Number.isInteger(maxRecordAge) && maxRecordAge! > 0, 'a positive integer (milliseconds)');
  if (deadLetter !== undefined && typeof deadLetter !== 'function') {
    problems.push({ path: `${root}.deadLetter`, message: `Expecting function at ${root}.deadLetter but instead got: ${typeof deadLetter}` });
  }
  if (maxRecordAge !== undefined && deadLetter === undefined) {
    problems.push({ path: `${root}.maxRecordAge`, message: `${root}.maxRecordAge needs ${root}.deadLetter: records too old to process must go somewhere` });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    attempts: r.attempts ?? (deadLetter === undefined ? Infinity : 3),
    initialDelay: r.initialDelay ?? hooks.retry.initialDelay,
    maxDelay: Math.max(r.maxDelay ?? hooks.retry.maxDelay, r.initialDelay ?? hooks.retry.initialDelay),
    deadLetter,
    maxRecordAge,
    hooks,
  };
}

/** Where `record` came from, for errors. */
export function originOf(record: KinesumerRecord): RecordOrigin {
  return {
    stream: record.stream,
    shardId: record.shardId,
    sequenceNumber: record.sequenceNumber,
    subSequenceNumber: record.subSequenceNumber,
    partitionKey: record.partitionKey,
  };
}

/** Whether `record` is past `maxRecordAge` now. */
export function tooOld(record: KinesumerRecord, policy: FailurePolicy): boolean {
  const arrived = record.approximateArrivalTimestamp?.getTime();
  return policy.maxRecordAge !== undefined && arrived !== undefined && policy.hooks.scheduler.now() - arrived > policy.maxRecordAge;
}

/**
 * Runs `attempt()` until it succeeds, at most `policy.attempts` times, with the library's backoff
 * between attempts. Every failure is reported as a {@link ProcessingError} naming `first` (the
 * record, or a batch's first record) and the attempt; the last one fails the result.
 */
export function withRetries<T>(first: KinesumerRecord, records: number, attempt: () => Observable<T>, policy: FailurePolicy): Observable<T> {
  return defer(() => {
    let n = 0;
    return defer(() => {
      n += 1;
      return timed(attempt(), policy);
    }).pipe(retry({ delay: (err: unknown) => failedAttempt(first, records, n, err, policy) }));
  });
}

/** `call$` with the handler time of a successful call counted in the processing metrics. */
export function timed<T>(call$: Observable<T>, policy: FailurePolicy): Observable<T> {
  const { hooks } = policy;
  return defer(() => {
    const startedAt = hooks.scheduler.now();
    return call$.pipe(
      tap(() => {
        hooks.processing.handlerMs += hooks.scheduler.now() - startedAt;
        hooks.processing.handlerCalls += 1;
      }),
    );
  });
}

/**
 * Attempt `n` on `records` records from `first` failed with `err`: reports it, and emits once
 * after the backoff delay when another attempt is allowed, or fails with the reported
 * {@link ProcessingError} when this was the last.
 */
export function failedAttempt(first: KinesumerRecord, records: number, n: number, err: unknown, policy: FailurePolicy): Observable<unknown> {
  const { error, last } = reportFailure(first, records, n, err, policy);
  return last ? throwError(() => error) : retryDelay(n, policy);
}

/**
 * Reports that attempt `n` on `records` records from `first` failed with `err`; `last` when no
 * attempt is left (`final` says whether the caller will try again at all: a batch that is split
 * in halves is not retried as it is, but its halves are).
 */
export function reportFailure(first: KinesumerRecord, records: number, n: number, err: unknown, policy: FailurePolicy, final = n >= policy.attempts): { error: ProcessingError; last: boolean } {
  const { hooks } = policy;
  const error = new ProcessingError(originOf(first), n, describeCause(err), { cause: err, retriable: !final, records });
  hooks.report(error);
  if (!final) {
    hooks.processing.retries += 1;
    hooks.emit({ type: 'recordRetried', stream: first.stream, shardId: first.shardId, sequenceNumber: first.sequenceNumber, attempt: n });
  }
  return { error, last: final };
}

/** The backoff before attempt `n + 1`: emits once. */
export function retryDelay(n: number, policy: FailurePolicy): Observable<unknown> {
  return timer(backoffDelay(n, { ...policy, random: policy.hooks.retry.random }), policy.hooks.scheduler);
}

/**
 * Gives each of `records` (in order) to the dead-letter sink, each retried until the sink takes
 * it. Completes when every record was taken; emits nothing. Without a sink, fails with `error`.
 */
export function deadLetter$(records: readonly KinesumerRecord[], error: unknown, attempts: number, policy: FailurePolicy): Observable<never> {
  const { deadLetter, hooks } = policy;
  if (deadLetter === undefined) return throwError(() => error);
  const sinkPolicy = { initialDelay: policy.initialDelay, maxDelay: policy.maxDelay, scheduler: hooks.scheduler, random: hooks.retry.random };
  return concat(
    ...records.map((record) =>
      callHandler(deadLetter, { record, error, attempts }).pipe(
        ignoreElements(),
        retryWithBackoff<never>(sinkPolicy, { shouldRetry: () => true, onRetry: (err) => hooks.report(new DeadLetterError(originOf(record), { cause: err })) }),
        tap({
          complete: () => {
            hooks.processing.deadLettered += 1;
            hooks.emit({ type: 'recordDeadLettered', stream: record.stream, shardId: record.shardId, sequenceNumber: record.sequenceNumber, attempt: attempts });
          },
        }),
      ),
    ),
    EMPTY,
  );
}

/** The error a record past `maxRecordAge` is dead-lettered with. */
export function tooOldError(record: KinesumerRecord, policy: FailurePolicy): ProcessingError {
  const age = policy.hooks.scheduler.now() - (record.approximateArrivalTimestamp?.getTime() ?? 0);
  return new ProcessingError(originOf(record), 0, `the record is ${age} ms old, older than maxRecordAge (${policy.maxRecordAge} ms): not processed, dead-lettered`, {
    code: 'RECORD_TOO_OLD',
  });
}
