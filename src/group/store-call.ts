import { catchError, defer, throwError, type Observable, type ObservableInput, type SchedulerLike } from 'rxjs';
import { StateStoreError, asStateStoreError } from '../errors.js';
import { answerWithin } from '../retry.js';

/** Makes the state-store call `fn` under the name `operation`. */
export type StoreCall = <T>(operation: string, fn: () => ObservableInput<T>) => Observable<T>;

/**
 * The group sync's way to call the state store: on subscription, failing with a retriable
 * {@link StateStoreError} of that operation when no answer comes within `ms` (a hung call must not
 * stall the loop: past `clientTimeout` the group counts the client dead anyway), and with every
 * failure named after the operation that ran.
 *
 * ## Example
 * ```ts
 * import { storeCall } from './store-call.js';
 * const call = storeCall(10_000, scheduler);
 * call('pruneClients', () => store.pruneClients(app, before)).subscribe();
 * ```
 *
 * @param ms How long a call may take, ms.
 * @param scheduler The clock.
 */
export function storeCall(ms: number, scheduler: SchedulerLike): StoreCall {
  return <T>(operation: string, fn: () => ObservableInput<T>): Observable<T> =>
    defer(fn).pipe(
      answerWithin(ms, scheduler, (message) => new StateStoreError(operation, message, { retriable: true })),
      catchError((err: unknown) => throwError(() => asStateStoreError(err, operation))),
    );
}
