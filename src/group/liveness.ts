import { Subject, map, switchMap, timer, type Observable, type SchedulerLike } from 'rxjs';

/**
 * This client's liveness as the rest of the group sees it, from the heartbeats it wrote: the
 * others count it dead `clientTimeout` after its last written heartbeat. One per run of the group
 * sync; the heartbeat tells it of every write with {@link Liveness.wrote}.
 */
export class Liveness {
  /**
   * Emits the scheduler's time whenever `clientTimeout` has passed since the last written
   * heartbeat (the watchdog): the moment to give every shard up, even if a round is still
   * waiting on a store that does not answer.
   */
  readonly expired$: Observable<number>;

  // The last time this client's heartbeat was written, by the scheduler's clock.
  private lastBeat = Number.NEGATIVE_INFINITY;
  // When (by the scheduler's clock, as the write landed) this client could write its heartbeat
  // again after a gap of clientTimeout or more (the store was out of reach), and its last
  // heartbeat before the gap (see isRegaining).
  private regainedAt = Number.NEGATIVE_INFINITY;
  private lostAtBeat = Number.NEGATIVE_INFINITY;
  private readonly beats = new Subject<number>();

  constructor(
    private readonly clientTimeout: number,
    private readonly scheduler: SchedulerLike,
  ) {
    this.expired$ = this.beats.pipe(
      switchMap((beat) => timer(Math.max(0, beat + clientTimeout - scheduler.now()), scheduler)),
      map(() => scheduler.now()),
    );
  }

  /**
   * Records a heartbeat written for time `at` (it may land later), noting a regain when the one
   * before is `clientTimeout` or more older. The regain counts from when the write landed, not
   * from `at`: a heartbeat sent while the store was out of reach may land only as it comes back.
   */
  wrote(at: number): void {
    if (this.lastBeat > Number.NEGATIVE_INFINITY && at - this.lastBeat >= this.clientTimeout) {
      this.lostAtBeat = this.lastBeat;
      this.regainedAt = Math.max(at, this.scheduler.now());
    }
    this.lastBeat = at;
    this.beats.next(at);
  }

  /** Whether the others count this client dead at `at`: no heartbeat written for `clientTimeout` (or none yet). */
  isStale(at: number): boolean {
    return at - this.lastBeat >= this.clientTimeout;
  }

  /**
   * Whether `at` is within two `clientTimeout`s of a regain: the others' heartbeats are likely as
   * old as this client's own was, so for that long it counts as alive the clients that were alive
   * when it lost the store ({@link Liveness.lostAt}), and prunes nobody, rather than take the
   * whole group for dead and grab every shard before the others are back.
   *
   * Why two: a peer's heartbeat call that was out when the store came back may take up to
   * `clientTimeout` to end (its call timeout), and its next one starts within `syncInterval`
   * (less than `clientTimeout`) and must then land. With one, a peer whose call hung through the
   * restore was counted dead for a round, and this client took its shards, only to give them
   * back a round later.
   */
  isRegaining(at: number): boolean {
    return at - this.regainedAt < 2 * this.clientTimeout;
  }

  /** The last heartbeat written before the latest gap of `clientTimeout` or more. */
  get lostAt(): number {
    return this.lostAtBeat;
  }
}
