/**
 * Whether Kinesis answers this client again: every answer a watched {@link KinesisApi} gets
 * (a page, an iterator, a shard list, an event) is a sign that the connection works. While no
 * call of the client got an answer for {@link PROBE_INTERVAL} (Kinesis is out of reach, not just
 * one shard in trouble), a reader backing off after a connection failure (a call that timed out,
 * a reset, a 5xx) waits for its backoff or the first answer to any call of the client, whichever
 * comes first, and one of the waiting readers at a time (the prober) tries again every
 * {@link PROBE_INTERVAL}. So after an outage no shard sleeps through the heal on a backoff that
 * grew during it (up to `retry.maxDelay`, 30 s by default), and the client makes one call a
 * second meanwhile, not one a second per shard. A failure of one shard while the others are
 * answered backs off as before.
 */
import { NEVER, Subject, defer, filter, finalize, mergeMap, of, race, tap, timer, type Observable, type SchedulerLike } from 'rxjs';
import { KinesisError } from '../errors.js';
import { proxyMethods } from '../internal/proxy-methods.js';
import type { KinesisApi } from './kinesis-api.js';

/** While readers back off after connection failures, one of them tries again this often, ms. */
export const PROBE_INTERVAL = 1000;

interface Watch {
  /** Emits at each answer whether it ends an outage: connection failures, and no answer, for {@link PROBE_INTERVAL}. */
  answered: Subject<boolean>;
  /** Since when readers have been backing off after connection failures with no answer in between. */
  failingSince: number | undefined;
  /** When the last call was answered. */
  lastAnswerAt: number;
  /** A waiting reader is the prober now. */
  probing: boolean;
  now: () => number;
}

const watches = new WeakMap<object, Watch>();

/**
 * `api` with every answer of every call announced (see {@link connectionBack$}), timed on
 * `scheduler`; methods that are not calls, and the calls' own behaviour, are unchanged.
 */
export function watchAnswers<A extends KinesisApi>(api: A, scheduler: SchedulerLike): A {
  const answered = new Subject<boolean>();
  const watch: Watch = { answered, failingSince: undefined, lastAnswerAt: Number.NEGATIVE_INFINITY, probing: false, now: () => scheduler.now() };
  const watched = proxyMethods(api, (_name, method) => (...args) => {
    const result = method.apply(api, args);
    return isObservable(result)
      ? result.pipe(
          tap(() => {
            const now = watch.now();
            const back = watch.failingSince !== undefined && now - watch.failingSince >= PROBE_INTERVAL;
            watch.failingSince = undefined;
            watch.lastAnswerAt = now;
            answered.next(back);
          }),
        )
      : result;
  });
  watches.set(watched, watch);
  return watched;
}

/**
 * For a reader backing off after a connection failure on a {@link watchAnswers} seam: emits at
 * the next answer any call of the seam gets, or, for the one waiting reader that is the prober,
 * after {@link PROBE_INTERVAL} at the latest. `undefined` for any other seam.
 */
export function connectionBack$(api: object, scheduler: SchedulerLike): Observable<unknown> | undefined {
  const watch = watches.get(api);
  if (watch === undefined) return undefined;
  return defer(() => {
    watch.failingSince ??= scheduler.now();
    // the first answer after PROBE_INTERVAL of connection failures: the connection is back
    const back$ = watch.answered.pipe(filter(Boolean));
    if (watch.probing) return back$;
    watch.probing = true;
    // (only while no call is answered: one shard in trouble while the others read backs off as before)
    const probe$ = timer(PROBE_INTERVAL, scheduler).pipe(mergeMap(() => (scheduler.now() - watch.lastAnswerAt >= PROBE_INTERVAL ? of(0) : NEVER)));
    return race(back$, probe$).pipe(finalize(() => (watch.probing = false)));
  });
}

/** A failure that says nothing about the shard, only that Kinesis could not be reached (or answered 5xx): another call's answer ends its backoff. */
export function isConnectionFailure(err: unknown): boolean {
  return err instanceof KinesisError && err.retriable && (err.code === 'KINESIS_TIMEOUT' || err.code === 'KINESIS_FAILED');
}

function isObservable(value: unknown): value is Observable<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { pipe?: unknown }).pipe === 'function' && typeof (value as { subscribe?: unknown }).subscribe === 'function';
}
