import { retry, throwError, timer, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import { isRetriable } from './errors.js';

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
      return timer(backoffDelay(attempt, policy), policy.scheduler);
    },
  });
}
