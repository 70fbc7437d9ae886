/**
 * Pausing and resuming the reading of shards (`consumer.pause()` / `resume()`): which shards are
 * paused, by rules from the whole consumer down to one shard, and the gate a reader waits at
 * before each call. A paused shard stays owned; heartbeats and commits go on.
 */
import { Observable, Subject, concatMap, defer, distinctUntilChanged, filter, map, of, startWith, take } from 'rxjs';
import type { Assignment } from '../group/group-view.js';

/**
 * Which shards are paused. Three levels of rules, the most specific winning: a shard's own
 * setting, then its stream's, then the consumer's. `pause()` / `resume()` without arguments set
 * the consumer's and clear every other rule; with a stream, set the stream's and clear its shards'
 * rules; with shard ids, set just those shards'. So `pause('orders')` then
 * `resume('orders', ['shardId-000000000001'])` leaves every shard of `orders` paused but that one.
 */
export class PauseControl {
  private everything = false;
  private readonly streams = new Map<string, boolean>();
  /** stream → shard id → paused. */
  private readonly shards = new Map<string, Map<string, boolean>>();
  private readonly changes = new Subject<void>();

  /** Emits after every change of the rules. */
  readonly changes$ = this.changes.asObservable();

  /** Pauses everything, one stream, or some shards of it (see the class). */
  pause(stream?: string, shardIds?: readonly string[]): void {
    this.set(true, stream, shardIds);
  }

  /** Resumes everything, one stream, or some shards of it (see the class). */
  resume(stream?: string, shardIds?: readonly string[]): void {
    this.set(false, stream, shardIds);
  }

  /** Whether reading `shardId` of `stream` is paused now. */
  isPaused(stream: string, shardId: string): boolean {
    return this.shards.get(stream)?.get(shardId) ?? this.streams.get(stream) ?? this.everything;
  }

  /** The shards of `assignment` that are paused now (streams without any are left out). */
  pausedOf(assignment: Assignment): Assignment {
    const out: Assignment = {};
    for (const [stream, ids] of Object.entries(assignment)) {
      const paused = ids.filter((id) => this.isPaused(stream, id));
      if (paused.length > 0) out[stream] = paused;
    }
    return out;
  }

  /**
   * Emits `true` once the shard may be read: at once when it is not paused, otherwise when it is
   * resumed. A reader waits here before each call; the shard's other gate (backpressure,
   * `then$`) is waited for after this one, and the pause is checked again after it, so no call
   * starts while the shard is paused.
   *
   * @param then$ The reader's other gate (emits `true` when it may read), or none.
   */
  gate(stream: string, shardId: string, then$?: Observable<boolean>): Observable<boolean> {
    const running$ = this.changes.pipe(
      startWith(undefined),
      map(() => !this.isPaused(stream, shardId)),
      distinctUntilChanged(),
      filter(Boolean),
      take(1),
    );
    const gate$: Observable<boolean> = defer(() =>
      running$.pipe(
        concatMap(() => (then$ ?? of(true)).pipe(filter(Boolean), take(1))),
        concatMap(() => (this.isPaused(stream, shardId) ? gate$ : of(true))),
      ),
    );
    return gate$;
  }

  private set(paused: boolean, stream: string | undefined, shardIds: readonly string[] | undefined): void {
    if (stream === undefined) {
      this.everything = paused;
      this.streams.clear();
      this.shards.clear();
    } else if (shardIds === undefined) {
      this.streams.set(stream, paused);
      this.shards.delete(stream);
    } else {
      let rules = this.shards.get(stream);
      if (rules === undefined) this.shards.set(stream, (rules = new Map()));
      for (const id of shardIds) rules.set(id, paused);
    }
    this.changes.next();
  }
}
