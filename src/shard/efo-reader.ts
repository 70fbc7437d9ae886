import type { _Record } from '@aws-sdk/client-kinesis';
import {
  EMPTY,
  Observable,
  Subject,
  catchError,
  concat,
  concatMap,
  defer,
  exhaustMap,
  filter,
  map,
  mergeMap,
  of,
  repeat,
  switchMap,
  take,
  tap,
  timer,
} from 'rxjs';
import { KinesisError, asKinesisError } from '../errors.js';
import type { EfoKinesisApi, KinesisApi, ShardEvent, StartPosition } from '../kinesis/kinesis-api.js';
import { connectionBack$, isConnectionFailure } from '../kinesis/kinesis-answers.js';
import { retryWithBackoff } from '../retry.js';
import type { ShardReaderOptions } from './shard-reader-options.js';
import { whenReady } from './when-ready.js';

/**
 * Kinesis refuses a SubscribeToShard call for the same consumer and shard within 5 seconds of the
 * previous successful one (`ResourceInUseException`), ms.
 */
export const MIN_SUBSCRIBE_INTERVAL = 5000;

/**
 * Kinesis allows one SubscribeToShard call a second per consumer and shard: the least time between
 * two calls when the first was refused (a refused call does not start the 5-second rule), ms.
 */
export const MIN_RETRY_INTERVAL = 1000;

/** Default {@link EfoReaderOptions.eventTimeout}, ms. */
export const DEFAULT_EVENT_TIMEOUT = 60_000;

/**
 * At most one end-of-shard check (GetShardIterator + GetRecords) per this many ms; Kinesis allows
 * 5 GetShardIterator calls a second per shard.
 */
export const END_CHECK_INTERVAL = 500;

/** What an enhanced fan-out reader needs besides {@link ShardReaderOptions}. */
export interface EfoReaderOptions<R> extends ShardReaderOptions<R> {
  /**
   * The consumer's ARN. Subscribed before every SubscribeToShard call and only its first value is
   * used, so a consumer that was registered again is picked up. Pass `of(arn)` for a fixed one.
   */
  consumerArn$: Observable<string>;
  /**
   * SubscribeToShard, plus GetShardIterator and GetRecords for confirming the end of a closed shard
   * where Kinesis sends no `ChildShards` (see `isClosed`).
   */
  kinesis: EfoKinesisApi & Pick<KinesisApi, 'getShardIterator' | 'getRecords'>;
  /**
   * A subscription that brings no event for this long (counted from when the reader asked for
   * one, so time spent waiting on `ready$` does not count) is taken for a dead connection: it is
   * aborted, reported and replaced, ms. Kinesis sends events on idle shards too (kinesis-local
   * every second). Default {@link DEFAULT_EVENT_TIMEOUT}.
   */
  eventTimeout?: number;
  /**
   * Whether the shard is known to be closed (ListShards gave it an ending sequence number). Real
   * Kinesis ends a closed shard's last subscription with an event that has `ChildShards` and no
   * continuation; kinesis-local never does. So while this says closed, an empty event at the tip
   * makes the reader check with one GetRecords call (at most every {@link END_CHECK_INTERVAL} ms)
   * whether it read the shard to its end. Default: never closed.
   */
  isClosed?: () => boolean;
  /**
   * When each shard (`stream/shardId`) was last subscribed to with a call that Kinesis accepted
   * (an event came). Share one map between the readers of one consumer, so that the 5-second
   * rule holds also when a shard's reader is replaced.
   */
  subscribedAt?: Map<string, number>;
  /** When each shard was last asked for, accepted or not: the one-call-a-second rule. Share it like `subscribedAt`. */
  attemptedAt?: Map<string, number>;
}

/**
 * Reads one shard with enhanced fan-out: a SubscribeToShard event stream, modeled as an
 * Observable, until the shard ends (the reader then completes, exactly like the polling reader)
 * or the subscriber leaves (the HTTP stream is aborted at once).
 *
 * It starts at `start` and, whenever a subscription ends (Kinesis ends each after 5 minutes) or
 * fails, subscribes again after the last event's `ContinuationSequenceNumber`
 * (`AFTER_SEQUENCE_NUMBER`), so nothing is skipped or delivered twice. It never subscribes to the
 * shard within {@link MIN_SUBSCRIBE_INTERVAL} of the previous subscribe. Failures are reported
 * and retried with the library's backoff (throttling included; the delay is the larger of the
 * backoff and what the 5-second rule asks). Shard end is the event without a continuation (it
 * carries `ChildShards`).
 *
 * Backpressure: events are read from the HTTP stream one at a time, each only after the previous
 * event's records went through the subscriber's synchronous pipeline and `ready$` said `true`;
 * what is not read stays in the connection and flow control holds Kinesis back.
 *
 * ## Example
 * ```ts
 * import { asyncScheduler, of } from 'rxjs';
 * import { efoReader } from './reader/efo-reader.js';
 *
 * efoReader({
 *   stream: 'orders', shardId: 'shardId-000000000000', start: { type: 'TRIM_HORIZON' },
 *   consumerArn$: of(consumerArn), kinesis, scheduler: asyncScheduler,
 *   retry: { initialDelay: 100, maxDelay: 30000 }, report: console.warn,
 *   toRecords: (records) => records,
 * }).subscribe((records) => console.log(records.length));
 * ```
 *
 * @param options Where to read, how to reach Kinesis, and what to build of each event.
 * @returns The shard's records, one array per page, in order; completes at the shard's end.
 */
export function efoReader<R>(options: EfoReaderOptions<R>): Observable<R[]> {
  const { stream, shardId, kinesis, scheduler, report, toRecords } = options;
  const eventTimeout = options.eventTimeout ?? DEFAULT_EVENT_TIMEOUT;
  const whenReady$ = whenReady(options).opened$;
  const key = `${stream}/${shardId}`;

  return defer(() => {
    // Where the next subscription starts: after the last continuation.
    let position = options.start;
    // After the last delivered record (or the start): where an end-of-shard check reads from.
    // Unlike a continuation, it is always a position GetShardIterator accepts.
    let delivered = options.start;
    let ended = false;
    let lastCheckAt = Number.NEGATIVE_INFINITY;
    const subscribedAt = options.subscribedAt ?? new Map<string, number>();
    const attemptedAt = options.attemptedAt ?? new Map<string, number>();

    // One GetRecords call from after the last delivered record: no records and no next iterator
    // means the closed shard was read to its end.
    const atEnd$ = defer(() => kinesis.getShardIterator(stream, shardId, delivered)).pipe(
      mergeMap((iterator) => kinesis.getRecords(stream, shardId, iterator, 1)),
      map((page) => page.records.length === 0 && page.nextShardIterator === undefined),
      catchError((err: unknown) => {
        report(asKinesisError(err, 'SubscribeToShard', stream, shardId));
        return of(false);
      }),
    );

    /** One SubscribeToShard call, asking for one event at a time. Completes at shard end. */
    const subscription = (consumerArn: string, from: StartPosition, accepted: () => void) =>
      new Observable<ShardEvent>((subscriber) => {
        const pulls = new Subject<void>();
        // true: an event was asked for; false: it arrived. The watchdog runs only in between.
        const waiting = new Subject<boolean>();
        const watchdog = waiting
          .pipe(switchMap((asked) => (asked ? timer(eventTimeout, scheduler) : EMPTY)))
          .subscribe(() =>
            subscriber.error(
              new KinesisError('SubscribeToShard', stream, shardId, `no event within ${eventTimeout} ms`, {
                code: 'EFO_EVENT_TIMEOUT',
                retriable: true,
              }),
            ),
          );
        const checks = new Subject<void>();
        const endCheck = checks
          .pipe(
            filter(() => scheduler.now() - lastCheckAt >= END_CHECK_INTERVAL),
            exhaustMap(() => {
              lastCheckAt = scheduler.now();
              return atEnd$;
            }),
          )
          .subscribe((end) => {
            if (!end) return;
            ended = true;
            subscriber.complete();
          });
        const demand$ = concat(of(undefined), pulls).pipe(
          concatMap(() => whenReady$),
          tap(() => waiting.next(true)),
        );
        const events = kinesis.subscribeToShard(stream, shardId, consumerArn, from, demand$).subscribe({
          next: (event) => {
            waiting.next(false);
            accepted();
            subscriber.next(event); // delivers the event's records downstream, synchronously
            if (subscriber.closed) return;
            const last = event.records[event.records.length - 1]?.SequenceNumber;
            if (last !== undefined) delivered = { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: last };
            if (event.continuationSequenceNumber === undefined) {
              ended = true; // the last event of a closed shard (it carries ChildShards)
              subscriber.complete();
              return;
            }
            position = { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: event.continuationSequenceNumber };
            if (event.records.length === 0 && (event.millisBehindLatest ?? 0) === 0 && options.isClosed?.()) checks.next();
            pulls.next();
          },
          error: (err: unknown) => subscriber.error(err),
          complete: () => subscriber.complete(),
        });
        return () => {
          events.unsubscribe();
          watchdog.unsubscribe();
          endCheck.unsubscribe();
        };
      });

    const session$ = defer(() => {
      // A call Kinesis refused (the previous owner's subscription still open, say) is retried
      // within a second, not held to the 5-second rule of an accepted one.
      const never = Number.NEGATIVE_INFINITY;
      const wait = Math.max((subscribedAt.get(key) ?? never) + MIN_SUBSCRIBE_INTERVAL, (attemptedAt.get(key) ?? never) + MIN_RETRY_INTERVAL) - scheduler.now();
      return wait > 0 ? timer(wait, scheduler) : of(0);
    }).pipe(
      mergeMap(() => options.consumerArn$.pipe(take(1))),
      mergeMap((consumerArn) =>
        defer(() => {
          const from = position;
          // LATEST again after a failure would skip what arrived meanwhile: from the first
          // subscribe on, "latest" means "at the time we first asked".
          if (from.type === 'LATEST') position = delivered = { type: 'AT_TIMESTAMP', timestamp: new Date(scheduler.now()) };
          const calledAt = scheduler.now();
          attemptedAt.set(key, calledAt);
          return subscription(consumerArn, from, () => subscribedAt.set(key, calledAt));
        }),
      ),
    );

    return session$.pipe(
      // A subscription that ended without reaching the shard's end is replaced (the wait for the
      // 5-second rule is in session$).
      repeat({ delay: () => (ended ? EMPTY : of(0)) }),
      retryWithBackoff(
        { ...options.retry, scheduler },
        {
          shouldRetry: () => true,
          onRetry: (err) => report(asKinesisError(err, 'SubscribeToShard', stream, shardId)),
          // after an outage, the first answer any call of this client gets (or a probe's) ends the backoff
          // (the 1- and 5-second rules still hold: session$ waits them out)
          cutShort: (err) => (isConnectionFailure(err) ? connectionBack$(kinesis, scheduler) : undefined),
        },
      ),
      // One value per event, not per record: the operators downstream run once an event.
      filter((event) => event.records.length > 0),
      map((event) => toRecords(event.records)),
      filter((batch) => batch.length > 0),
    );
  });
}
