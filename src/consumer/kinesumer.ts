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
import { leaveGroup$ } from './leave-group.js';
import { applySeek, prepareSeek, type SeekOptions, type SeekPosition, type SeekResult } from '../group/seek-group.js';
import { pauseArguments, trackPaused } from './paused-shards.js';
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
  /** Every non-fatal problem (AWS errors, malformed state, failed commits). Never errors. */
  readonly errors$: Observable<KinesumerError>;
  /** The shards this client owns now, per stream; `{}` before the first sync and after close. */
  readonly assignment$: Observable<Assignment>;
  /** A snapshot of this client's metrics every `metrics.interval` (on the configured scheduler). */
  readonly metrics$: Observable<KinesumerMetrics>;
  /** Lifecycle events: shards acquired, released, lost, finished, paused; leadership; clients; checkpoints. */
  readonly events$: Observable<KinesumerEvent>;
  /** The owned shards whose reading is paused now ({@link Kinesumer.pause}), per stream; `{}` when none. */
  readonly paused$: Observable<Assignment>;

  private readonly assignment = new BehaviorSubject<Assignment>({});
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
    this.events$ = parts.recorder.events$;
    this.paused$ = trackPaused(this.assignment$, parts.pause, (event) => parts.recorder.emit(event)).pipe(distinctUntilChanged(sameAssignment));
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
   * Pauses reading: everything (no arguments), one stream, or some shards of it, now and for shards
   * taken later. A paused shard stays owned (heartbeats and commits go on, marks of records already
   * delivered still count); its reader makes no Kinesis call until it is resumed, then goes on
   * where it stopped. The most specific rule wins: a shard's, then its stream's, then the
   * consumer's (see the README). `paused$` and `events$` say what is paused.
   *
   * @throws UsageError (`INVALID_PAUSE`) for a bad stream name or shard ids; ClosedError after close().
   */
  pause(stream?: string, shardIds?: readonly string[]): void {
    if (this.stopping) throw new ClosedError('pause()');
    this.parts.pause.pause(...pauseArguments('pause()', stream, shardIds));
  }

  /** Resumes reading what {@link Kinesumer.pause} paused: everything, one stream, or some of its shards. Throws as `pause()`. */
  resume(stream?: string, shardIds?: readonly string[]): void {
    if (this.stopping) throw new ClosedError('resume()');
    this.parts.pause.resume(...pauseArguments('resume()', stream, shardIds));
  }

  /**
   * Sends shards of `stream` to `to` for the whole group, as `seekGroup()` does, with this
   * member's store and Kinesis; this member restarts its sought shards at once, the others at one
   * of their next sync rounds. See `seekGroup` for the semantics.
   */
  async seek(stream: string, to: SeekPosition, options: Omit<SeekOptions, 'now'> = {}): Promise<SeekResult> {
    if (this.stopping) throw new ClosedError('seek()');
    const deps = { app: this.config.app, store: this.parts.store, kinesis: this.parts.kinesis };
    const result = await applySeek(deps, await prepareSeek(deps, stream, to, { ...options, now: new Date(this.config.scheduler.now()) }));
    this.refreshes.next();
    return result;
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
   * deregisters this client so the others take its shards at their next sync. Idempotent.
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
    const { checkpointer, errors, recorder } = this.parts;
    return defer(() => {
      this.stopping = true;
      const wasRunning = this.running;
      if (wasRunning) this.stop.next(); // completes records$: readers stop, the user's pipelines drain
      return concat(
        wasRunning ? this.pipelines.drained$(drainTimeout, this.config.scheduler).pipe(ignoreElements()) : EMPTY,
        this.teardown$ ?? EMPTY,
        checkpointer.close$(),
        // Deregister only after the final commit, so whoever takes the shards over starts after it.
        wasRunning ? this.leave$() : EMPTY,
        defer(() => {
          this.assignment.next({});
          errors.complete();
          this.assignment.complete();
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
        else concat(checkpointer.flush$(), this.leave$()).subscribe({ complete: () => done.complete() });
      }),
    );
  }

  private leave$(): Observable<never> {
    const { config, store, efo, report } = this.parts;
    return leaveGroup$({
      app: config.app,
      clientId: config.clientId,
      store,
      scheduler: config.scheduler,
      timeout: config.commit.timeout,
      report,
      efo,
      streams: () => this.streams.value,
    });
  }
}
