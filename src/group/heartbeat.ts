import { catchError, endWith, exhaustMap, ignoreElements, of, tap, timer, type Observable, type ObservableInput, type SchedulerLike } from 'rxjs';
import { asStateStoreError, type KinesumerError } from '../errors.js';
import type { Liveness } from './liveness.js';
import type { StoreCall } from './store-call.js';

/** What {@link heartbeat} needs. */
export interface HeartbeatOptions {
  /**
   * The store operation that writes it, which failures are reported under: `heartbeat` when the
   * checkpointer writes it (carrying the marks), `pingClient` otherwise.
   */
  operation: 'heartbeat' | 'pingClient';
  /** Writes this client's heartbeat for time `at`. */
  write: (at: number) => ObservableInput<unknown>;
  call: StoreCall;
  /** Told of every heartbeat written. */
  liveness: Liveness;
  /** Failed heartbeats go here. */
  report: (err: KinesumerError) => void;
}

/**
 * Writes one heartbeat: `write` through `call`, then {@link Liveness.wrote}. The returned
 * Observable emits once when the attempt is over, whether the heartbeat was written or not (a
 * failure is reported), and completes.
 *
 * ## Example
 * ```ts
 * import { heartbeat } from './heartbeat.js';
 * const beat = heartbeat({ operation: 'pingClient', write: (at) => store.pingClient(app, id, new Date(at)), call, liveness, report });
 * beat(scheduler.now()).subscribe();
 * ```
 *
 * @returns A function that writes the heartbeat for time `at`.
 */
export function heartbeat(options: HeartbeatOptions): (at: number) => Observable<void> {
  const { operation, write, call, liveness, report } = options;
  return (at) =>
    call(operation, () => write(at)).pipe(
      // One value once written, whatever the call emitted on the way.
      ignoreElements(),
      endWith(undefined),
      tap(() => liveness.wrote(at)),
      catchError((err: unknown) => {
        report(asStateStoreError(err, operation));
        return of(undefined);
      }),
    );
}

/**
 * The heartbeat's own clock: `beat` at once and every `syncInterval`, one at a time (a tick while
 * one is still out is dropped). It emits after every attempt. A round still waiting on a slow
 * ListShards or store call must not hold the next heartbeat back (the others would count this
 * client dead while it is alive and reading), so rounds follow this clock and not the other way.
 *
 * @param beat Writes one heartbeat (see {@link heartbeat}).
 * @param syncInterval ms between heartbeats.
 * @param scheduler The clock.
 */
export function heartbeatClock(beat: (at: number) => Observable<void>, syncInterval: number, scheduler: SchedulerLike): Observable<void> {
  return timer(0, syncInterval, scheduler).pipe(exhaustMap(() => beat(scheduler.now())));
}
