import { NEVER, Observable, defer, filter, map, of, race, take, timer, type SchedulerLike } from 'rxjs';
import type { ShardProgress } from '../checkpoint/shard-progress.js';

/** With backpressure, how long a reader waits for a mark before it reads on anyway, ms. */
export const STALL_TIMEOUT = 10_000;

/** What {@link backpressure} needs. */
export interface BackpressureOptions {
  /** Records of one shard delivered but not yet marked, at most (`polling.maxInFlight`). */
  maxInFlight: number;
  /** Records per GetRecords call (`polling.scanLimit`). */
  scanLimit: number;
  scheduler: SchedulerLike;
  /** Whether a `checkpoint()` is in the pipeline now: without one nothing tells how far processing got. */
  tracked: () => boolean;
}

/** A reader's side of backpressure: when it may read, and how much it may ask for. */
export interface ReaderBackpressure {
  /** Emits `true` when the reader may make its next call. */
  ready$: Observable<boolean>;
  /** Whether the reader may make its next call now: `ready$` would emit `true` at once. */
  readyNow: () => boolean;
  /** Records to ask for in the next call. */
  limit: () => number;
}

/**
 * Backpressure for one shard: the reader asks for at most the room left under `maxInFlight`
 * (records delivered and not yet marked), and before a call waits until there is room for a page
 * (`scanLimit`, or half the bound if that is smaller: no tiny calls near the bound). Only with a
 * `checkpoint()` in the pipeline. If no mark comes for {@link STALL_TIMEOUT} while waiting (the
 * pipeline dropped those records instead of passing them on), read on rather than stall forever;
 * after such a stall, ask for a full page. With `processRecords()` or `processBatches()`, which
 * track every record, the wait lasts until processing makes room.
 */
export function backpressure(progress: ShardProgress, options: BackpressureOptions): ReaderBackpressure {
  const { maxInFlight: max, scanLimit, scheduler, tracked } = options;
  const threshold = max - Math.min(scanLimit, Math.ceil(max / 2));
  const readyNow = () => !tracked() || progress.inFlight <= threshold;
  const ready$ = defer(() => {
    if (readyNow()) return of(true);
    const reachedAtStart = progress.reached;
    // A processing operator never drops records: waiting for it is waiting for processing (a
    // record being retried, say), and reading on would only pile records up.
    const stalled$ = progress.tracked ? NEVER : timer(STALL_TIMEOUT, STALL_TIMEOUT, scheduler).pipe(filter(() => progress.reached === reachedAtStart));
    return race(progress.roomBelow(threshold).pipe(map(() => true)), stalled$).pipe(
      take(1),
      map(() => true),
    );
  });
  const limit = () => {
    const room = max - progress.inFlight;
    return tracked() && room > 0 ? room : scanLimit;
  };
  return { ready$, readyNow, limit };
}
