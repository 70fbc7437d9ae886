import { Observable, Subject, defer, of, race, take, timer, type SchedulerLike } from 'rxjs';

/**
 * The `checkpoint()` operators subscribed to a consumer's records whose source has not completed
 * yet. `close()` waits for them to drain before its final commit, and backpressure works only
 * while there is one (without one nothing tells how far processing got).
 */
export class Pipelines {
  private open = 0;
  private readonly drained = new Subject<void>();

  /** Whether a `checkpoint()` is in the pipeline now. */
  get tracked(): boolean {
    return this.open > 0;
  }

  /** Registers one pipeline; call the result once it completed, errored or was unsubscribed (more calls do nothing). */
  track(): () => void {
    this.open += 1;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.open -= 1;
      if (this.open === 0) this.drained.next();
    };
  }

  /** Emits once every pipeline drained, or after `timeout` ms, whichever is first. */
  drained$(timeout: number, scheduler: SchedulerLike): Observable<unknown> {
    return defer(() => (this.open === 0 ? of(undefined) : race(this.drained.pipe(take(1)), timer(timeout, scheduler))));
  }
}
