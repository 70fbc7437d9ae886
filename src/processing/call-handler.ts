import { Observable, defaultIfEmpty, defer, from, isObservable, of, takeLast, type ObservableInput } from 'rxjs';

/** What a handler may return: a Promise, an Observable (its last value is the result), or a plain value. */
export type HandlerResult<R> = ObservableInput<R> | R;

/**
 * Calls `handler(input)` when subscribed and emits its one result: the value a Promise resolves
 * to, an Observable's last value (`undefined` when it emits none), or the plain value returned.
 * A handler that throws fails the call.
 */
export function callHandler<I, R>(handler: (input: I) => HandlerResult<R>, input: I): Observable<R | undefined> {
  return defer(() => {
    const out = handler(input);
    if (isObservable(out)) return (out as Observable<R>).pipe(takeLast(1), defaultIfEmpty(undefined));
    if (isPromiseLike(out)) return from(out as PromiseLike<R>);
    return of(out as R);
  });
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}
