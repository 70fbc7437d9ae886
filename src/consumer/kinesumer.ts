import {
  AsyncSubject,
  BehaviorSubject,
  EMPTY,
  Observable,
  Subject,
  concat,
  defer,
  distinctUntilChanged,
  finalize,
  ignoreElements,
  lastValueFrom,
  map,
  share,
  takeUntil,
  tap,
  timer,
} from 'rxjs';
import type { ResolvedConfig } from '../config/kinesumer-config.js';
import { ClosedError, UsageError, type KinesumerError } from '../errors.js';
import type { Assignment } from '../group/group-sync.js';
import { unbatch } from '../internal/unbatch.js';
import type { MetricsRecorder } from '../metrics/metrics-recorder.js';
import type { KinesumerEvent, KinesumerMetrics } from '../metrics/metrics.js';
import type { KinesumerRecord } from '../record.js';
import { sameAssignment } from './assignment-keys.js';
import { consumerHooks, type ConsumerHooks } from './consumer-hooks.js';
import type { KinesumerParts } from './kinesumer-parts.js';
import { groupRun } from './group-run.js';
import { endMembership$, leaveGroupOf } from './leave-group.js';
import type { SeekOptions, SeekPosition, SeekResult } from '../group/seek-group.js';
import { pauseArguments, seekFrom, trackOwned, trackPaused } from './paused-shards.js';
import { Pipelines } from './pipelines.js';
import { useStreams } from './stream-names.js';

export type { Assignment } from '../group/group-sync.js';

/** Options for {@link Kinesumer.close}. */
export interface CloseOptions {
  /**
   * How long to wait for records already delivered to reach `checkpoint()` before the final
   * commit, ms. Default: `commit.timeout`.
   */
  drainTimeout?: number;
}

/**
 * A member of a Kinesis consumer group. Create it with {@link createKinesumer}.
 *
 * ## Example
 * ```ts
 * import { concatMap } from 'rxjs';
 * import { createKinesumer, checkpoint } from 'rx-kinesumer';
 *
 * const consumer = createKinesumer({ app: 'myapp', kinesis: { region: 'us-east-1' }, stateStore: { table: 'kinesumer-state-store' } });
 * consumer.consume(['orders']).pipe(concatMap(handle), checkpoint(consumer)).subscribe();
 * process.on('SIGTERM', () => consumer.close());
 * ```
 */
export class Kinesumer {
  /** The decoded configuration, defaults filled in. */
  readonly config: ResolvedConfig;
  /**
   * Every non-fatal problem (AWS errors, malformed state, failed commits). Hot, without replay: a
   * subscriber sees the problems reported after it subscribed. Never errors; completes at close.
   */
  readonly errors$: Observable<KinesumerError>;
  /**
   * The target: the shards the assignment gives this client after each sync round, per stream.
   * A shard appears here before it is taken (its previous owner may still be reading it for up
   * to a sync interval) and leaves before it is released; {@link owned$} is what this client
   * actually holds. Replays the current value to each subscriber (`{}` before the first round
   * and after close), then emits each change; completes at close.
   */
  readonly assignment$: Observable<Assignment>;
  /**
   * The shards this client has actually taken in the state store and reads now, per stream
   * (shard ids sorted): emitted when a take or a release (or a loss) happens. Replays the current
   * value to each subscriber (`{}` before the first take and after close); completes at close.
   */
  readonly owned$: Observable<Assignment>;
  /**
   * A snapshot of this client's metrics every `metrics.interval`, on the configured scheduler.
   * Cold: each subscriber gets its own timer, whose first snapshot comes one interval after it
   * subscribed. Completes at close.
   */
  readonly metrics$: Observable<KinesumerMetrics>;
  /**
   * Lifecycle events: shards acquired, released, lost, sought, finished, paused; leadership;
   * clients; checkpoints. Hot, without replay: a subscriber sees the events after it subscribed.
   * Completes at close.
   */
  readonly events$: Observable<KinesumerEvent>;
  /** The owned shards whose reading is paused now ({@link Kinesumer.pause}), per stream; `{}` when none. */
  readonly paused$: Observable<Assignment>;

  private readonly assignment = new BehaviorSubject<Assignment>({});
  /** What {@link owned$} replays: kept from the first take on, whoever subscribes when. */
  private readonly owned = new BehaviorSubject<Assignment>({});
  private readonly streams = new BehaviorSubject<readonly string[]>([]);
  private readonly refreshes = new Subject<void>();
  /** Completes the record stream: close() was called. */
  private readonly stop = new Subject<void>();
  /** Emits once when close() finished: metrics$ and events$ complete. */
  private readonly closed = new Subject<void>();
  private readonly pipelines = new Pipelines();
  /** Failures reported already: the record stream's own, and each pipeline failure once. */
  private readonly failures = new WeakSet<object>();
  private consumerHooks: ConsumerHooks | undefined;
  private records$: Observable<KinesumerRecord> | undefined;
  /** Completes when the last group run's teardown (commit, deregister) is done. */
  private teardown$: Observable<never> | undefined;
  private running = false;
  private closing: Promise<void> | undefined;
  /** Set the moment close() is called: shards stay markable until the pipelines drained. */
  private stopping = false;

  private constructor(private readonly parts: KinesumerParts) {
    this.config = parts.config;
    this.errors$ = parts.errors.asObservable();
    this.assignment$ = this.assignment.pipe(distinctUntilChanged(sameAssignment));
    this.owned$ = this.owned.pipe(distinctUntilChanged(sameAssignment));
    this.events$ = parts.recorder.events$;
    this.paused$ = trackPaused(this.assignment$, parts.pause, (event) => parts.recorder.emit(event)).pipe(distinctUntilChanged(sameAssignment));
    trackOwned(parts.recorder.events$, this.owned);
    const { interval } = parts.config.metrics;
    this.metrics$ = timer(interval, interval, parts.config.scheduler).pipe(
      map(() => parts.recorder.snapshot()),
      takeUntil(this.closed),
    );
  }

  /** @internal The consumer made of `parts` (see `createKinesumer`, the composition root). */
  static assemble(parts: KinesumerParts): Kinesumer {
    return new Kinesumer(parts);
  }

  /** The metrics as they are now (what `metrics$` emits). */
  metricsSnapshot(): KinesumerMetrics {
    return this.parts.recorder.snapshot();
  }

  /** @internal Totals of every shard this client ever held, for exporters (see `rx-kinesumer/prometheus`). */
  shardTotals(): ReturnType<MetricsRecorder['allShards']> {
    return this.parts.recorder.allShards();
  }

  /** This client's id in the group. */
  get clientId(): string {
    return this.config.clientId;
  }

  /**
   * Joins the group and reads this client's share of the shards of `streams`.
   *
   * The result is hot and shared: the group starts with the first subscriber, every subscriber
   * sees the same records, and it stops (marks committed, client deregistered) when the last one
   * leaves or {@link close} is called, which completes it. It errors only when the group cannot
   * run at all (the state-store table is missing, say); every other problem goes to `errors$`.
   *
   * @param streams Names of the streams to consume (or ARNs of streams in other accounts).
   * @returns The records of every owned shard, in order within each shard.
   * @throws UsageError when called twice, or with invalid stream names.
   * @throws ClosedError after {@link close}.
   */
  consume(streams: readonly string[]): Observable<KinesumerRecord> {
    if (this.stopping) throw new ClosedError('consume()');
    if (this.records$) throw new UsageError('consume() was already called on this consumer; use refresh() to change streams');
    this.streams.next(useStreams(this.parts.kinesis, streams));
    // Pages travel the group's pipeline as arrays and become records only here, after share():
    // per record, only this loop and the user's operators run.
    this.records$ = defer(() => this.run$()).pipe(
      tap({ error: (err: unknown) => typeof err === 'object' && err !== null && this.failures.add(err) }),
      takeUntil(this.stop),
      share(),
      unbatch(),
    );
    return this.records$;
  }

  /** Changes the set of consumed streams; shards of streams no longer listed are released. */
  refresh(streams: readonly string[]): void {
    if (this.stopping) throw new ClosedError('refresh()');
    this.streams.next(useStreams(this.parts.kinesis, streams));
    this.refreshes.next();
  }

  /**
   * Marks `record` (and every earlier record of its shard) as processed; the mark is written at
   * the next commit. `checkpoint(consumer)` calls this for each record that reaches it.
   *
   * @throws UsageError when `record` was not delivered by this consumer.
   * @throws ClosedError after {@link close} finished.
   */
  markRecord(record: KinesumerRecord): void {
    this.parts.checkpointer.mark(record);
  }

  /**
   * Pauses reading everything (no arguments), one stream, or some of its shards, now and when taken
   * later. Paused shards stay owned: heartbeats and commits go on, no Kinesis call is made until
   * {@link Kinesumer.resume}. The most specific rule wins (see the README); `paused$` says what is paused.
   * @throws UsageError (`INVALID_PAUSE`) for a bad stream or shard ids; ClosedError after close().
   */
  pause(stream?: string, shardIds?: readonly string[]): void {
    this.parts.pause.pause(...pauseArguments('pause()', stream, shardIds, this.stopping));
  }

  /** Resumes what {@link Kinesumer.pause} paused; reading goes on where it stopped. Throws as `pause()`. */
  resume(stream?: string, shardIds?: readonly string[]): void {
    this.parts.pause.resume(...pauseArguments('resume()', stream, shardIds, this.stopping));
  }

  /** `seekGroup()` with this member's store and Kinesis (see it); this member restarts its sought shards at once. */
  seek(stream: string, to: SeekPosition, options: Omit<SeekOptions, 'now'> = {}): Promise<SeekResult> {
    return seekFrom(this.parts, stream, to, options, this.stopping).then((result) => (this.refreshes.next(), result));
  }

  /** Writes every mark not yet written to the state store. Failures go to `errors$`; marks are kept. Rejects with a `ClosedError` after close. */
  commit(): Promise<void> {
    const { checkpointer } = this.parts;
    if (checkpointer.isClosed) return Promise.reject(new ClosedError('commit()'));
    return lastValueFrom(checkpointer.commit$(), { defaultValue: undefined });
  }

  /**
   * Leaves the group gracefully: stops the readers, completes the record stream, waits (up to
   * `drainTimeout`) for delivered records to reach `checkpoint()`, commits the marks, and
   * deregisters this client so the others take its shards at their next sync; with
   * `group.staticMembership` it keeps them reserved for its id instead. Idempotent.
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.closing ??= lastValueFrom(this.close$(options.drainTimeout ?? this.config.commit.timeout), { defaultValue: undefined });
    return this.closing;
  }

  /** @internal What the operators placed on this consumer's records use of it. */
  hooks(): ConsumerHooks {
    this.consumerHooks ??= consumerHooks(this.parts, this.pipelines, this.failures);
    return this.consumerHooks;
  }

  // An Observable chain, not async/await, so that on a TestScheduler the whole close runs in
  // virtual time (promises would only resume after the test's flush).
  private close$(drainTimeout: number): Observable<never> {
    const { errors, recorder } = this.parts;
    return defer(() => {
      this.stopping = true;
      const wasRunning = this.running;
      if (wasRunning) this.stop.next(); // completes records$: readers stop, the user's pipelines drain
      return concat(
        wasRunning ? this.pipelines.drained$(drainTimeout, this.config.scheduler).pipe(ignoreElements()) : EMPTY,
        this.teardown$ ?? EMPTY,
        endMembership$(this.parts, wasRunning, () => this.streams.value),
        defer(() => {
          this.assignment.next({});
          this.owned.next({});
          errors.complete();
          this.assignment.complete();
          this.owned.complete();
          this.closed.next();
          this.closed.complete();
          recorder.complete();
          return EMPTY;
        }),
      );
    });
  }

  /** The group for one subscription of records$: start, run, and tear down. */
  private run$(): Observable<KinesumerRecord[]> {
    const { config, checkpointer } = this.parts;
    this.running = true;
    const done = new AsyncSubject<never>();
    this.teardown$ = done;
    return groupRun({
      ...this.parts,
      app: config.app,
      clientId: config.clientId,
      streams: () => this.streams.value,
      refreshes$: this.refreshes,
      isStopping: () => this.stopping,
      tracked: () => this.pipelines.tracked,
      onAssignment: (assignment) => this.assignment.next(assignment),
    }).pipe(
      finalize(() => {
        this.running = false;
        this.assignment.next({});
        // Reader subscriptions are gone by now. close() commits and deregisters itself, after the
        // pipelines drained; when the last subscriber simply left, do both now.
        if (this.stopping) done.complete();
        else concat(checkpointer.flush$(), leaveGroupOf(this.parts, () => this.streams.value)).subscribe({ complete: () => done.complete() });
      }),
    );
  }

}
