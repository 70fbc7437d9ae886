import { Observable, Subscription, type OperatorFunction } from 'rxjs';

/**
 * A per-key switch: each value of the source is a set of keys; a key that appears starts
 * `project(key)`, a key that disappears has its Observable unsubscribed and `onRemove(key)`
 * called. Keys that stay keep their subscription untouched, so a shard that stays with this
 * client keeps its reader. Outputs of all live inner Observables are merged. An inner Observable
 * that completes stays counted as live until its key disappears (a finished shard is not
 * restarted); one that errors errors the whole result.
 */
export function mergeByKey<K, R>(
  project: (key: K) => Observable<R>,
  onRemove?: (key: K) => void,
): OperatorFunction<Iterable<K>, R> {
  return (source) =>
    new Observable<R>((subscriber) => {
      const live = new Map<K, Subscription>();
      const remove = (key: K) => {
        const sub = live.get(key);
        if (sub === undefined) return;
        live.delete(key);
        sub.unsubscribe();
        onRemove?.(key);
      };
      const sourceSub = source.subscribe({
        next: (keys) => {
          const wanted = new Set(keys);
          for (const key of [...live.keys()]) if (!wanted.has(key)) remove(key);
          for (const key of wanted) {
            if (live.has(key) || subscriber.closed) continue;
            // Registered before subscribing: an inner Observable may emit synchronously, and a
            // subscriber that unsubscribes during that emission must still tear this one down.
            const inner = new Subscription();
            live.set(key, inner);
            inner.add(
              project(key).subscribe({
                next: (value) => subscriber.next(value),
                error: (err: unknown) => subscriber.error(err),
              }),
            );
          }
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
      return () => {
        sourceSub.unsubscribe();
        for (const key of [...live.keys()]) remove(key);
      };
    });
}
