import { race, retry, take, throwError, timeout, timer, type MonoTypeOperatorFunction, type Observable, type SchedulerLike } from 'rxjs';
import { isRetriable, type KinesumerError } from './errors.js';

/** The library's one retry policy: exponential backoff with jitter, bounded. */
export interface RetryPolicy {
  /** First delay, ms. */
  initialDelay: number;
  /** Largest delay, ms. */
  maxDelay: number;
  /** Scheduler for the delays. */
  scheduler: SchedulerLike;
  /** A number in [0, 1); default `Math.random`. Tests pass a constant to get exact frames. */
  random?: () => number;
}

/**
 * The delay before retry number `attempt` (1-based): `min(maxDelay, initialDelay * 2^(attempt-1))`,
 * with "equal jitter" (between half and all of it) so that clients do not retry in lockstep.
 */
export function backoffDelay(attempt: number, policy: Pick<RetryPolicy, 'initialDelay' | 'maxDelay' | 'random'>): number {
  const exp = Math.min(policy.maxDelay, policy.initialDelay * 2 ** Math.min(attempt - 1, 30));
  const random = policy.random ?? Math.random;
  return Math.round(exp / 2 + (exp / 2) * random());
}

/** What `retryWithBackoff` does with an error. */
export interface RetryHooks {
  /** Called with every error before its retry (not for errors that are given up on). */
  onRetry?: (err: unknown, attempt: number) => void;
  /** Whether to retry at all; default {@link isRetriable}. */
  shouldRetry?: (err: unknown) => boolean;
  /** Errors retried at once without counting as a failure (an expired iterator, say). */
  immediate?: (err: unknown) => boolean;
  /**
   * What may end the backoff after `err` early (its first value does): for a connection failure,
   * another call's answer says the connection works again. `undefined`: only the backoff.
   */
  cutShort?: (err: unknown) => Observable<unknown> | undefined;
}

/**
 * Resubscribes to the source after an error, after {@link backoffDelay}, for as long as
 * `shouldRetry` says; the attempt count resets when the source emits again.
 */
export function retryWithBackoff<T>(policy: RetryPolicy, hooks: RetryHooks = {}): MonoTypeOperatorFunction<T> {
  const shouldRetry = hooks.shouldRetry ?? isRetriable;
  return retry<T>({
    resetOnSuccess: true,
    delay: (err: unknown, attempt: number) => {
      if (!shouldRetry(err)) return throwError(() => err);
      // Only the first of a run of such errors is retried at once, so a repeat cannot busy-loop.
      if (attempt === 1 && hooks.immediate?.(err)) return timer(0, policy.scheduler);
      hooks.onRetry?.(err, attempt);
      const backoff = timer(backoffDelay(attempt, policy), policy.scheduler);
      const early = hooks.cutShort?.(err);
      return early === undefined ? backoff : race(backoff, early.pipe(take(1)));
    },
  });
}

/**
 * Fails a call whose first answer (a value, or its completion) does not come within `ms` with
 * the error `error` builds from the message `no answer within <ms> ms`; unsubscribing from the
 * call aborts it. Every AWS call of the library is bounded this way: the SDK sets no request
 * timeout of its own, and a call on a connection that went silent would otherwise hold its
 * caller for good, without a word.
 *
 * ## Example
 * ```ts
 * import { answerWithin } from './retry.js';
 * call$.pipe(answerWithin(2000, scheduler, (message) => new StateStoreError('heartbeat', message, { retriable: true })));
 * ```
 *
 * @param ms How long to wait, ms.
 * @param scheduler The clock.
 * @param error Builds the error to fail with.
 */
export function answerWithin<T>(ms: number, scheduler: SchedulerLike, error: (message: string) => KinesumerError): MonoTypeOperatorFunction<T> {
  return timeout({
    first: ms,
    with: () => throwError(() => error(`no answer within ${ms} ms`)),
    scheduler,
  });
}
