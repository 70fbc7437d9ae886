import { Observable, type OperatorFunction } from 'rxjs';

/**
 * Emits the items of each array of the source one by one, in order, like `concatAll()` on
 * arrays, but with one loop instead of a subscription per array. The consumer's own operators
 * run once per page; this is where a page becomes records. Stops in the middle of an array when
 * the subscriber leaves.
 */
export function unbatch<T>(): OperatorFunction<readonly T[], T> {
  return (source) =>
    new Observable<T>((subscriber) =>
      source.subscribe({
        next: (batch) => {
          for (let i = 0; i < batch.length && !subscriber.closed; i++) subscriber.next(batch[i]!);
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      }),
    );
}
