import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import type { Kinesumer } from '../consumer/kinesumer.js';
import { ClosedError } from '../errors.js';
import type { KinesumerRecord } from '../record.js';

/**
 * Marks each record that reaches it as processed, then passes it on unchanged. Put it after your
 * processing: a record is checkpointed only once it got here, so a crash re-delivers what was not
 * processed (at-least-once). Marks are written by auto-commit, `consumer.commit()` and `close()`.
 * (`processRecords()` checkpoints by itself and processes shards in parallel: prefer it.)
 *
 * Keep the pipeline before it in order per shard (`concatMap`, not `mergeMap`): a mark covers every
 * earlier record of its shard. Filtering records out is fine, a later record's mark covers them.
 * `close()` waits for records already delivered to get here before its final commit; a record that
 * gets here after that (past `drainTimeout`) passes on unmarked and is delivered again later.
 *
 * When the pipeline before it fails, the failure is reported on `errors$` (a `PipelineError`) and
 * in `events$` (`pipelineFailed`), and passed on; the member then commits what was marked and
 * leaves the group (see the README for the `retry()` recipe that joins again).
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
  const hooks = consumer.hooks();
  return (source) =>
    new Observable<T>((subscriber) => {
      const untrack = hooks.track();
      const subscription = source.subscribe({
        next: (record) => {
          try {
            hooks.mark(record);
          } catch (err) {
            // close() made its final commit already: the record passes unmarked (delivered again later)
            if (!(err instanceof ClosedError)) {
              subscriber.error(err);
              return;
            }
          }
          subscriber.next(record);
        },
        error: (err: unknown) => {
          untrack();
          hooks.failed(err);
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
