import { EMPTY, Observable, catchError, concat, defer, share, tap, type MonoTypeOperatorFunction } from 'rxjs';

/**
 * `share()` that runs its source at most once: a late subscriber, also one that subscribes while
 * the completion is being delivered, gets the outcome instead of running the source again. For
 * writes that must not be repeated with the arguments they captured (a fenced write repeated with
 * a stale `previous` would fail its condition and look like a lost shard).
 */
export function runOnce<T>(): MonoTypeOperatorFunction<T> {
  return share<T>({ resetOnError: false, resetOnComplete: false, resetOnRefCountZero: false });
}

/**
 * A lane of tasks that never overlap, like kafkajs's `sharedPromiseTo` but queueing: a task asked
 * for while another runs starts after it ends (whether it failed or not). Each task runs at most
 * once ({@link runOnce}); its subscribers share it.
 *
 * ## Example
 * ```ts
 * const writes = new SingleFlight();
 * writes.run(() => write$(marks)).subscribe(); // a second run() waits for this one
 * ```
 */
export class SingleFlight {
  private running: Observable<never> | undefined;

  /**
   * Runs `task()` now, or after the task in flight. `task` is called only when its turn comes,
   * so it reads the state of that moment. Errors of the task reach its subscribers; the next task
   * runs anyway.
   */
  run(task: () => Observable<never>): Observable<never> {
    return defer(() => {
      const before = this.running;
      if (before) return concat(before.pipe(catchError(() => EMPTY)), this.run(task));
      // Cleared as the task ends, before its subscribers hear of it: one of them may start the
      // next task at once, and must not find this one still running.
      const done = () => {
        if (this.running === run) this.running = undefined;
      };
      const run: Observable<never> = task().pipe(tap({ complete: done, error: done }), runOnce());
      this.running = run;
      return run;
    });
  }
}
