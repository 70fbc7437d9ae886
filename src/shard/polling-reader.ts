import {
  EMPTY,
  Observable,
  defer,
  expand,
  filter,
  map,
  mergeMap,
  of,
  tap,
  timer,
} from 'rxjs';
import { KinesisError, asKinesisError } from '../errors.js';
import type { KinesisApi, RecordsPage } from '../kinesis/kinesis-api.js';
import { connectionBack$, isConnectionFailure } from '../kinesis/kinesis-answers.js';
import { answerWithin, retryWithBackoff } from '../retry.js';
import type { ShardReaderOptions } from './shard-reader-options.js';
import { whenReady } from './when-ready.js';

/** Kinesis allows 5 GetRecords calls per second per shard: at least 200 ms between call starts. */
export const MIN_CALL_INTERVAL = 200;

/** After timeouts, GetRecords asks for as little as scanLimit / 2^MAX_SHRINK records. */
const MAX_SHRINK = 4;

/** What a polling reader needs besides {@link ShardReaderOptions}. */
export interface PollingReaderOptions<R> extends ShardReaderOptions<R> {
  kinesis: KinesisApi;
  /** Records per GetRecords call. */
  scanLimit: number;
  /** Time allowed for one GetRecords call, ms. */
  scanTimeout: number;
  /** Wait after an empty or short batch, ms (at least {@link MIN_CALL_INTERVAL}). */
  idleInterval: number;
  /** Records to ask for in the next call (at most `scanLimit`); default `scanLimit`. */
  limit?: () => number;
}

interface Step {
  page: RecordsPage;
  /** The Limit the call asked for: a page that filled it may have more behind it. */
  limit: number;
}

/**
 * Reads one shard with GetShardIterator + GetRecords until the shard ends (the reader then
 * completes) or the subscriber leaves (the call in flight is aborted).
 *
 * Pacing: while the shard has more (a full page, or `MillisBehindLatest > 0`) the next call starts
 * as soon as the 5-calls-per-second limit allows; after an empty or short page it waits
 * `idleInterval`. Errors are reported and retried with backoff from the last delivered record:
 * an expired iterator is replaced at once, throttling backs off, a GetRecords call that timed
 * out is retried asking for half as many records, and one shard's trouble never ends the reader.
 *
 * @returns The shard's records, one array per page, in order; completes at the shard's end.
 */
export function pollingReader<R>(options: PollingReaderOptions<R>): Observable<R[]> {
  const { stream, shardId, kinesis, scheduler, scanLimit, scanTimeout, idleInterval, report, toRecords } = options;
  const { isOpen, opened$ } = whenReady(options);

  return defer(() => {
    // Where to resume after an error: moves past every page as it is delivered.
    let position = options.start;
    // A call's first answer must come within scanTimeout (the SDK sets no request timeout);
    // otherwise it is given up (aborted by unsubscribing), reported and retried.
    const within = <T>(operation: string) =>
      answerWithin<T>(scanTimeout, scheduler, (message) => new KinesisError(operation, stream, shardId, message, { retriable: true, code: 'KINESIS_TIMEOUT' }));
    // When the last GetRecords call started: every call, also the first after a retry, starts
    // at least MIN_CALL_INTERVAL after the one before, so the shard's limit holds across errors.
    let lastCallAt = Number.NEGATIVE_INFINITY;
    // After a GetRecords call that timed out, ask for half as much (down to 1/16), so a page too
    // large to arrive within scanTimeout cannot stall the shard for good; grow back one step with
    // each answer that came within a quarter of scanTimeout (twice that page would fit). Past
    // 1/16 the size is not what is wrong (a dead connection, say).
    let shrink = 0;

    const call = (iterator: string): Observable<Step> => {
      lastCallAt = scheduler.now();
      const wanted = options.limit ? Math.max(1, Math.min(scanLimit, options.limit())) : scanLimit;
      const limit = Math.max(1, Math.floor(wanted / 2 ** shrink));
      return kinesis.getRecords(stream, shardId, iterator, limit).pipe(
        within<RecordsPage>('GetRecords'),
        tap({
          next: () => {
            if (shrink > 0 && scheduler.now() - lastCallAt < scanTimeout / 4) shrink -= 1;
          },
          error: (err: unknown) => {
            if (err instanceof KinesisError && err.code === 'KINESIS_TIMEOUT' && shrink < MAX_SHRINK) shrink += 1;
          },
        }),
        map((page): Step => ({ page, limit })),
      );
    };

    // Each call waits out the per-shard limit, then the gate. The usual poll (the limit allows a
    // call now, the shard runs and has room) makes it at once, with no timer or gate subscribed.
    const fetch = (iterator: string): Observable<Step> =>
      defer(() => {
        const wait = lastCallAt + MIN_CALL_INTERVAL - scheduler.now();
        if (wait <= 0 && isOpen()) return call(iterator);
        return (wait > 0 ? timer(wait, scheduler) : of(0)).pipe(
          mergeMap(() => opened$),
          mergeMap(() => call(iterator)),
        );
      });

    const next = ({ page, limit }: Step): Observable<Step> => {
      const iterator = page.nextShardIterator;
      if (iterator === undefined) return EMPTY; // the end of a closed shard
      const hasMore = page.records.length >= limit || (page.millisBehindLatest ?? 0) > 0;
      // With more to read, fetch() itself waits out the per-shard limit; otherwise idle first.
      return hasMore ? fetch(iterator) : timer(idleInterval, scheduler).pipe(mergeMap(() => fetch(iterator)));
    };

    return defer(() => {
      const from = position;
      // A LATEST iterator taken again after an error would skip what arrived meanwhile: from the
      // first request on, "latest" means "at the time we first asked".
      if (from.type === 'LATEST') position = { type: 'AT_TIMESTAMP', timestamp: new Date(scheduler.now()) };
      // Bounded like GetRecords: the SDK has no request timeout, and a call on a connection that
      // went silent would otherwise hold this shard's reader for good, without a word.
      return kinesis.getShardIterator(stream, shardId, from).pipe(within<string>('GetShardIterator'));
    }).pipe(
      mergeMap(fetch),
      expand(next, 1),
      tap(({ page }) => {
        const last = page.records[page.records.length - 1];
        if (last?.SequenceNumber !== undefined) {
          position = { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: last.SequenceNumber };
        }
      }),
      retryWithBackoff(
        { ...options.retry, scheduler },
        {
          shouldRetry: () => true,
          immediate: (err) => err instanceof KinesisError && err.code === 'ITERATOR_EXPIRED',
          // after an outage, the first answer any call of this client gets (or a probe's) ends the backoff
          cutShort: (err) => (isConnectionFailure(err) ? connectionBack$(kinesis, scheduler) : undefined),
          onRetry: (err) => report(asKinesisError(err, 'GetRecords', stream, shardId)),
        },
      ),
      // One value per page, not per record: the operators downstream run once a page.
      filter(({ page }) => page.records.length > 0),
      map(({ page }) => toRecords(page.records)),
      filter((batch) => batch.length > 0),
    );
  });
}
