/** The one retry policy and the one call timeout, on virtual time. */
import test from 'ava';
import { defer, of, throwError } from 'rxjs';
import { KinesisError, StateStoreError } from '../src/errors.js';
import { answerWithin, backoffDelay, retryWithBackoff } from '../src/retry.js';
import { testScheduler } from './helpers/marbles.js';

test('backoff doubles from initialDelay up to maxDelay, with equal jitter between half and all of it', (t) => {
  const low = { initialDelay: 100, maxDelay: 1000, random: () => 0 };
  const high = { initialDelay: 100, maxDelay: 1000, random: () => 0.999999 };
  t.deepEqual([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, low)), [50, 100, 200, 400, 500, 500]);
  t.deepEqual([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, high)), [100, 200, 400, 800, 1000, 1000]);
  t.is(backoffDelay(1000, low), 500, 'a huge attempt count does not overflow');
});

test('answerWithin fails a call that brings nothing within the time with the error it builds, and lets an answer through', (t) => {
  const scheduler = testScheduler(t);
  scheduler.run(({ cold, expectObservable }) => {
    const error = (message: string) => new StateStoreError('heartbeat', message, { retriable: true });
    expectObservable(cold('---a|').pipe(answerWithin(5, scheduler, error))).toBe('---a|');
    expectObservable(cold('-----|').pipe(answerWithin(5, scheduler, error))).toBe('-----|', undefined, undefined);
    expectObservable(cold('------a|').pipe(answerWithin(5, scheduler, error))).toBe(
      '-----#',
      undefined,
      new StateStoreError('heartbeat', 'no answer within 5 ms', { retriable: true }),
    );
  });
});

test('retryWithBackoff resubscribes after each backoff delay, reports each retry, and gives up on what cannot be retried', (t) => {
  const scheduler = testScheduler(t);
  scheduler.run(({ expectObservable }) => {
    const retriable = new KinesisError('GetRecords', 's', 'x', 'boom', { retriable: true });
    const fatal = new KinesisError('GetRecords', 's', 'x', 'denied');
    let calls = 0;
    const attempts: number[] = [];
    const flaky = defer(() => (++calls <= 3 ? throwError(() => retriable) : of('ok')));
    const policy = { initialDelay: 100, maxDelay: 1000, random: () => 0, scheduler };
    // delays 50, 100, 200: the answer at 350 ms
    expectObservable(flaky.pipe(retryWithBackoff(policy, { onRetry: (_e, n) => attempts.push(n) }))).toBe('350ms (a|)', { a: 'ok' });
    expectObservable(defer(() => throwError(() => fatal)).pipe(retryWithBackoff(policy))).toBe('#', undefined, fatal);
    scheduler.flush();
    t.deepEqual(attempts, [1, 2, 3]);
  });
});

test('an error marked immediate is retried at once the first time, then with backoff', (t) => {
  const scheduler = testScheduler(t);
  scheduler.run(({ expectObservable }) => {
    const expired = new KinesisError('GetRecords', 's', 'x', 'expired', { retriable: true, code: 'ITERATOR_EXPIRED' });
    let calls = 0;
    const source = defer(() => (++calls <= 2 ? throwError(() => expired) : of(calls)));
    const policy = { initialDelay: 100, maxDelay: 1000, random: () => 0, scheduler };
    // the first retry at once, the second after backoff(2) = 100 ms
    expectObservable(source.pipe(retryWithBackoff(policy, { immediate: (e) => e === expired }))).toBe('100ms (a|)', { a: 3 });
  });
});
