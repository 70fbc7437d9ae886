import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import type { Kinesumer } from '../consumer/kinesumer.js';
import type { KinesumerRecord } from '../record.js';

/**
 * Marks each record that reaches it as processed, then passes it on unchanged. Put it after your
 * processing: a record is checkpointed only once it got here, so a crash re-delivers what was not
 * processed (at-least-once). Marks are written by auto-commit, `consumer.commit()` and `close()`.
 *
 * Keep the pipeline before it in order per shard (`concatMap`, not `mergeMap`): a mark covers every
 * earlier record of its shard. Filtering records out is fine, a later record's mark covers them.
 * `close()` waits for records already delivered to get here before its final commit.
 *
 * ## Example
 * ```ts
 * import { concatMap } from 'rxjs';
 * import { checkpoint } from 'rx-kinesumer';
 *
 * consumer.consume(['orders']).pipe(
 *   concatMap((record) => save(record)),      // returns a Promise of the record
 *   checkpoint(consumer),
 * ).subscribe();
 * ```
 *
 * @param consumer The consumer that delivered the records.
 * @returns An operator that marks and re-emits every record; it errors with a `UsageError` when
 *   given a value that is not a record of `consumer`.
 */
export function checkpoint<T extends KinesumerRecord>(consumer: Kinesumer): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      const untrack = consumer.trackPipeline();
      const subscription = source.subscribe({
        next: (record) => {
          try {
            consumer.markRecord(record);
          } catch (err) {
            subscriber.error(err);
            return;
          }
          subscriber.next(record);
        },
        error: (err: unknown) => {
          untrack();
          subscriber.error(err);
        },
        complete: () => {
          untrack();
          subscriber.complete();
        },
      });
      return () => {
        untrack();
        subscription.unsubscribe();
      };
    });
}
