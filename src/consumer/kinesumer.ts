import type { _Record } from '@aws-sdk/client-kinesis';
import {
  AsyncSubject,
  BehaviorSubject,
  EMPTY,
  Observable,
  Subject,
  catchError,
  concat,
  defer,
  distinctUntilChanged,
  exhaustMap,
  finalize,
  from,
  ignoreElements,
  lastValueFrom,
  map,
  merge,
  mergeMap,
  of,
  race,
  share,
  retry as retryWhen,
  take,
  filter,
  takeUntil,
  throwError,
  tap,
  timeout,
  timer,
  type SchedulerLike,
} from 'rxjs';
import { Checkpointer, ORDINAL, PARTIAL, SHARD, type LinkedRecord, type ShardHandle } from '../checkpoint/checkpointer.js';
import { deaggregate, isAggregated } from '../records/deaggregate.js';
import { resolveConfig, type InitialPosition, type KinesumerConfig, type ResolvedConfig } from '../config/resolve-config.js';
import { ClosedError, KinesumerError, StateStoreError, UsageError, describeCause, CorruptAggregateError } from '../errors.js';
import { groupSync, type Assignment, type GroupView } from '../group/group-sync.js';
import { inheritsReading, isStale, staleCheckpointError } from '../group/shard-lineage.js';
import type { KinesisApi, StartPosition } from '../kinesis/kinesis-api.js';
import { resolveKinesisApi } from '../kinesis/resolve-kinesis-api.js';
import { mergeByKey } from '../internal/merge-by-key.js';
import { unbatch } from '../internal/unbatch.js';
import { MIN_CALL_INTERVAL, pollingReader } from '../shard/polling-reader.js';
import { enhancedFanOut, type EnhancedFanOut } from '../efo/enhanced-fan-out.js';
import type { KinesumerRecord } from '../record.js';
import { retryWithBackoff } from '../retry.js';
import type { Logger } from '../logger.js';
import { countingKinesis, countingStore, MetricsRecorder } from '../metrics/metrics-recorder.js';
import type { KinesumerEvent, KinesumerMetrics } from '../metrics/metrics.js';
import { resolveStateStore } from '../state-store/resolve-state-store.js';
import type { ShardState, StateStore } from '../state-store/state-store.js';

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
  /** Lifecycle events: shards acquired, released, lost, finished; leadership; clients; checkpoints. */
  readonly events$: Observable<KinesumerEvent>;

  private readonly errors = new Subject<KinesumerError>();
  private readonly assignment = new BehaviorSubject<Assignment>({});
  private readonly streams = new BehaviorSubject<readonly string[]>([]);
  private readonly refreshes = new Subject<void>();
  private readonly stop = new Subject<void>();
  /** Emits once when close() finished: metrics$ and events$ complete. */
  private readonly closed = new Subject<void>();
  private readonly kinesis: KinesisApi;
  /** Enhanced fan-out (`efo` in the config): stream consumers and SubscribeToShard readers. */
  private readonly efo: EnhancedFanOut | undefined;
  private readonly store: StateStore;
  private readonly scheduler: SchedulerLike;
  private readonly checkpointer: Checkpointer;
  private readonly recorder: MetricsRecorder;
  private readonly logger: Logger;
  /** The last assignment's shard keys, to tell a rebalance from a repeated round. */
  private lastKeys = '';
  /** The last completed sync round: alive clients and each stream's shards, for taking shards. */
  private latestView: GroupView | undefined;
  private records$: Observable<KinesumerRecord> | undefined;
  /** Completes when the last group run's teardown (commit, deregister) is done. */
  private teardown$: Observable<never> | undefined;
  private running = false;
  private closing: Promise<void> | undefined;
  /** Set the moment close() is called: shards stay marked-able until the pipelines drained. */
  private stopping = false;
  /** Subscribed `checkpoint()` operators whose source has not completed yet. */
  private openPipelines = 0;
  private readonly pipelinesDrained = new Subject<void>();

  /** @internal Use {@link createKinesumer}. */
  constructor(config: KinesumerConfig) {
    this.config = resolveConfig(config);
    this.scheduler = this.config.scheduler;
    this.logger = this.config.logger;
    this.recorder = new MetricsRecorder(this.config.app, this.config.clientId, this.scheduler);
    this.kinesis = countingKinesis(resolveKinesisApi(this.config.kinesis), this.recorder);
    this.store = countingStore(resolveStateStore(this.config.stateStore), this.recorder);
    this.efo = enhancedFanOut(this.config, {
      kinesis: this.kinesis,
      store: this.store,
      report: (err) => this.report(err),
      isLeader: () => this.latestView?.leader === true,
    });
    this.errors$ = this.errors.asObservable();
    this.assignment$ = this.assignment.pipe(distinctUntilChanged(sameAssignment));
    this.events$ = this.recorder.events$;
    this.metrics$ = timer(this.config.metrics.interval, this.config.metrics.interval, this.scheduler).pipe(
      map(() => this.recorder.snapshot()),
      takeUntil(this.closed),
    );
    this.events$.subscribe((event) => {
      const { type, at: _at, ...fields } = event;
      this.logger.info({ app: this.config.app, clientId: this.config.clientId, ...fields }, type);
    });
    this.checkpointer = new Checkpointer({
      app: this.config.app,
      clientId: this.config.clientId,
      store: this.store,
      scheduler: this.scheduler,
      timeout: this.config.commit.timeout,
      heartbeatTimeout: this.config.group.clientTimeout,
      heartbeatCommits: this.config.commit.auto,
      report: (err) => this.report(err),
      recorder: this.recorder,
    });
    this.checkpointer.finished$.subscribe((h) => this.recorder.left(h.stream, h.shardId, 'shardFinished'));
  }

  /** The metrics as they are now (what `metrics$` emits). */
  metricsSnapshot(): KinesumerMetrics {
    return this.recorder.snapshot();
  }

  /** @internal Totals of every shard this client ever held, for exporters (see `rx-kinesumer/prometheus`). */
  shardTotals(): ReturnType<MetricsRecorder['allShards']> {
    return this.recorder.allShards();
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
   * @param streams Names of the streams to consume.
   * @returns The records of every owned shard, in order within each shard.
   */
  consume(streams: readonly string[]): Observable<KinesumerRecord> {
    if (this.stopping) throw new ClosedError('consume()');
    if (this.records$) throw new UsageError('consume() was already called on this consumer; use refresh() to change streams');
    this.streams.next(this.useStreams(streams));
    // Pages travel the group's pipeline as arrays and become records only here, after share():
    // per record, only this loop and the user's operators run.
    this.records$ = defer(() => this.run$()).pipe(takeUntil(this.stop), share(), unbatch());
    return this.records$;
  }

  /** Changes the set of consumed streams; shards of streams no longer listed are released. */
  refresh(streams: readonly string[]): void {
    if (this.stopping) throw new ClosedError('refresh()');
    this.streams.next(this.useStreams(streams));
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
    this.checkpointer.mark(record);
  }

  /** Writes every mark not yet written to the state store. Failures go to `errors$`; marks are kept. */
  commit(): Promise<void> {
    if (this.checkpointer.isClosed) return Promise.reject(new ClosedError('commit()'));
    return lastValueFrom(this.checkpointer.commit$(), { defaultValue: undefined });
  }

  /**
   * Leaves the group gracefully: stops the readers, completes the record stream, waits (up to
   * `drainTimeout`) for delivered records to reach `checkpoint()`, commits the marks, and
   * deregisters this client so the others take its shards at their next sync. Idempotent.
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.closing ??= lastValueFrom(this.close$(options.drainTimeout ?? this.config.commit.timeout), {
      defaultValue: undefined,
    });
    return this.closing;
  }

  /** Checks `streams`, points the Kinesis seam at the ARNs among them, and returns their names. */
  private useStreams(streams: readonly string[]): readonly string[] {
    const { names, arns } = parseStreams(streams);
    if (arns.size > 0 && this.kinesis.useStreamArn === undefined) {
      throw new UsageError('streams given by ARN need a Kinesis seam that can address them (useStreamArn)', 'INVALID_STREAMS');
    }
    for (const [name, arn] of arns) this.kinesis.useStreamArn!(name, arn);
    return names;
  }

  /** @internal The `checkpoint()` operator registers here so `close()` can wait for it to drain. */
  trackPipeline(): () => void {
    this.openPipelines += 1;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.openPipelines -= 1;
      if (this.openPipelines === 0) this.pipelinesDrained.next();
    };
  }

  // An Observable chain, not async/await, so that on a TestScheduler the whole close runs in
  // virtual time (promises would only resume after the test's flush).
  private close$(drainTimeout: number): Observable<never> {
    return defer(() => {
      this.stopping = true;
      const wasRunning = this.running;
      if (wasRunning) this.stop.next(); // completes records$: readers stop, the user's pipelines drain
      return concat(
        wasRunning ? this.drained$(drainTimeout).pipe(ignoreElements()) : EMPTY,
        this.teardown$ ?? EMPTY,
        this.checkpointer.close$(),
        // Deregister only after the final commit, so whoever takes the shards over starts after it.
        wasRunning ? this.leave$() : EMPTY,
        defer(() => {
          this.assignment.next({});
          this.errors.complete();
          this.assignment.complete();
          this.closed.next();
          this.closed.complete();
          this.recorder.complete();
          return EMPTY;
        }),
      );
    });
  }

  private drained$(drainTimeout: number): Observable<unknown> {
    return defer(() =>
      this.openPipelines === 0
        ? of(undefined)
        : race(this.pipelinesDrained.pipe(take(1)), timer(drainTimeout, this.scheduler)),
    );
  }

  private report(err: KinesumerError): void {
    this.recorder.error(err.code);
    this.logger.warn({ app: this.config.app, clientId: this.config.clientId, code: err.code }, err.message);
    if (!this.errors.closed) this.errors.next(err);
  }

  /** The group for one subscription of records$: start, run, and tear down. */
  private run$(): Observable<KinesumerRecord[]> {
    const { app, clientId, group, commit, retry } = this.config;
    const scheduler = this.scheduler;
    this.running = true;
    const done = new AsyncSubject<never>();
    this.teardown$ = done;
    const release = () => done.complete();

    const ready$ = defer(() => (this.store.ready ? from(this.store.ready()) : of(undefined))).pipe(
      retryWithBackoff({ ...retry, scheduler }, { onRetry: (err) => this.report(asKinesumerError(err, 'ready')) }),
      catchError((err: unknown) => {
        const error = asKinesumerError(err, 'ready');
        this.report(error);
        throw error;
      }),
    );

    const views$ = groupSync({
      app,
      clientId,
      store: this.store,
      kinesis: this.kinesis,
      scheduler,
      syncInterval: group.syncInterval,
      clientTimeout: group.clientTimeout,
      streams: () => this.streams.value,
      report: (err) => this.report(err),
      triggers: merge(this.refreshes, this.checkpointer.finished$),
      ...(this.checkpointer.viaHeartbeat ? { beat: (digests) => this.checkpointer.beat$(digests) } : {}),
      initialLatest: this.config.initialPosition === 'LATEST',
    });

    const keys$ = views$.pipe(
      tap((view) => {
        this.latestView = view;
        this.recorder.view(view);
      }),
      map((view) => onlyStreams(view.assignment, this.streams.value)),
      tap((assignment) => this.assignment.next(assignment)),
      map(assignmentKeys),
      tap((keys) => {
        const joined = keys.join(',');
        if (joined !== this.lastKeys) this.recorder.assignment(keys);
        this.lastKeys = joined;
      }),
    );

    const records$ = keys$.pipe(
      mergeByKey(
        (key) => this.readShard(key),
        (key) => {
          // On close(), marks of records still in the user's pipeline must count: close$() commits them.
          if (this.stopping) return;
          const [stream, shardId] = splitKey(key);
          this.checkpointer.release$(stream, shardId).subscribe();
        },
      ),
    );

    // With heartbeat commits every heartbeat (each syncInterval) carries the marks: a timer of
    // its own is needed only for a shorter commit interval.
    const ownTimer = !this.checkpointer.viaHeartbeat || commit.interval < group.syncInterval;
    const autoCommit$ = commit.auto && ownTimer
      ? timer(commit.interval, commit.interval, scheduler).pipe(
          exhaustMap(() => this.checkpointer.autoCommit$()),
          ignoreElements(),
        )
      : EMPTY;

    // With heartbeat commits, the checkpoint items (kinesumer's layout) are brought up to date
    // every itemInterval; this is also when a lost shard is noticed at the latest.
    const itemFlush$ = this.checkpointer.viaHeartbeat
      ? timer(commit.itemInterval, commit.itemInterval, scheduler).pipe(
          exhaustMap(() => this.checkpointer.flush$()),
          ignoreElements(),
        )
      : EMPTY;

    // The last record of an ended shard was marked: record it finished now, not at the next tick.
    const finishing$ = this.checkpointer.commitRequests$.pipe(
      mergeMap(() => this.checkpointer.finish$()),
      ignoreElements(),
    );

    const storeErrors$ = (this.store.errors$ ?? EMPTY).pipe(
      tap((err) => this.report(err)),
      ignoreElements(),
    );

    return concat(ready$.pipe(ignoreElements()), merge(records$, autoCommit$, itemFlush$, finishing$, storeErrors$)).pipe(
      finalize(() => {
        this.running = false;
        this.assignment.next({});
        // Reader subscriptions are gone by now. close() commits and deregisters itself, after the
        // pipelines drained; when the last subscriber simply left, do both now.
        if (this.stopping) release();
        else concat(this.checkpointer.flush$(), this.leave$()).subscribe({ complete: release });
      }),
    ) as Observable<KinesumerRecord[]>;
  }

  /**
   * Backpressure for one shard: the reader asks for at most the room left under `maxInFlight`
   * (records delivered and not yet marked), and before a call waits until there is room for a
   * page (`scanLimit`, or half the bound if that is smaller). Only with a
   * `checkpoint()` in the pipeline (without one nothing tells how far processing got). If no mark
   * comes for 10 s while waiting (the pipeline dropped those records instead of passing them on),
   * read on rather than stall forever.
   */
  private room$(handle: ShardHandle): Observable<boolean> {
    const { maxInFlight: max, scanLimit } = this.config.polling;
    // Wait for room for a worthwhile page, not for one record: no tiny calls near the bound.
    const threshold = max - Math.min(scanLimit, Math.ceil(max / 2));
    return defer(() => {
      if (this.openPipelines === 0 || handle.inFlight <= threshold) return of(true);
      handle.waitingBelow = threshold;
      const reachedAtStart = handle.reached;
      const stalled$ = timer(STALL_TIMEOUT, STALL_TIMEOUT, this.scheduler).pipe(filter(() => handle.reached === reachedAtStart));
      return race(handle.room, stalled$).pipe(
        take(1),
        map(() => true),
        finalize(() => (handle.waitingBelow = -1)),
      );
    });
  }

  /** Deregisters this client: the others take its shards at their next sync. Never errors. */
  private leave$(): Observable<never> {
    const { app, clientId, commit } = this.config;
    return concat(
      defer(() => from(this.store.deregisterClient(app, clientId))).pipe(
        timeout({ each: commit.timeout, scheduler: this.scheduler }),
        ignoreElements(),
        catchError((err: unknown) => {
          this.report(asKinesumerError(err, 'deregisterClient'));
          return EMPTY;
        }),
      ),
      // With efo.deregisterOnClose, the group's last client deregisters the stream consumers.
      defer(() => this.efo?.leave$(this.streams.value) ?? EMPTY),
    );
  }

  /**
   * One shard assigned to this client: take it in the store (retrying while another live client
   * still holds it), read it from its checkpoint, and stop at once if a fenced write shows it was
   * lost; then try to take it again, for as long as it stays assigned.
   */
  private readShard(key: string): Observable<KinesumerRecord[]> {
    const [stream, shardId] = splitKey(key);
    const { app, clientId, polling, retry, initialPosition, group } = this.config;
    const scheduler = this.scheduler;
    const acquireRetry = Math.max(MIN_CALL_INTERVAL, Math.round(group.syncInterval / 5));

    const acquire$ = defer(() => {
      const snapshot = this.latestView?.streams[stream];
      const shard = snapshot?.shards.find((s) => s.id === shardId);
      const seen = snapshot?.states.get(shardId);
      const now = scheduler.now();
      // The call goes on when the shard is taken away from this client while it is in flight
      // (the assignment moved): if it then takes the shard, nobody would ever free it. So the
      // answer is kept and, if it comes after we left, the shard is released.
      const call$ = from(
        this.store.acquireShard(app, stream, shardId, {
          clientId,
          // The owner's own heartbeat decides, read now: a client that joined after our last
          // listing is alive, and its shards are not ours to take.
          aliveSince: new Date(now - group.clientTimeout),
          shardStart: shard?.startingSequenceNumber,
          now: new Date(now),
          // the last round saw it free: the store may take it without reading it first
          seenFree: snapshot !== undefined && seen?.owner === undefined,
        }),
      ).pipe(share({ resetOnError: false, resetOnComplete: false, resetOnRefCountZero: false }));
      let settled = false;
      return call$.pipe(
        timeout({
          each: group.clientTimeout,
          scheduler,
          // A call that timed out is retried at once and the retry takes the shard again.
          with: () => ((settled = true), throwError(() => new StateStoreError('acquireShard', `no answer within ${group.clientTimeout} ms`, { retriable: true }))),
        }),
        tap({ next: () => (settled = true), error: () => (settled = true) }),
        finalize(() => {
          if (!settled) this.checkpointer.abandoned(stream, shardId, call$);
        }),
      );
    }).pipe(
      retryWithBackoff({ ...retry, scheduler }, { shouldRetry: () => true, onRetry: (err) => this.report(asKinesumerError(err, 'acquireShard')) }),
      // Another live client holds it (a handoff in progress) or it is finished: ask again shortly.
      mergeMap((state: ShardState | undefined) => (state ? of(state) : throwError(() => NOT_TAKEN))),
      retryWhen({ delay: (err: unknown) => (err === NOT_TAKEN ? timer(acquireRetry, scheduler) : throwError(() => err)) }),
    );
    // If this client is still releasing the shard (it left and came back), let that finish first.
    const take$ = concat(this.checkpointer.settled$(stream, shardId), acquire$);

    const readOnce = (): Observable<KinesumerRecord[]> =>
      take$.pipe(
        mergeMap((state) => {
          const snapshot = this.latestView?.streams[stream];
          const shard = snapshot?.shards.find((s) => s.id === shardId);
          const valid = state.sequenceNumber !== undefined && !isStale(state, shard?.startingSequenceNumber) ? state.sequenceNumber : undefined;
          if (state.sequenceNumber !== undefined && valid === undefined) this.report(staleCheckpointError(stream, state, shard));
          const handle = this.checkpointer.open(stream, shardId, state.sequenceNumber, valid, valid === undefined ? undefined : state.subSequenceNumber);
          this.recorder.acquired(stream, shardId);
          const deliver = (records: _Record[]): KinesumerRecord[] => {
            const linked = linkRecords(records, handle, (err) => this.report(err));
            this.recorder.delivered(stream, shardId, linked);
            return linked;
          };
          const start: StartPosition =
            valid !== undefined
              ? // inside a partly processed KPL aggregate: read it again and skip what was processed
                { type: state.subSequenceNumber !== undefined ? 'AT_SEQUENCE_NUMBER' : 'AFTER_SEQUENCE_NUMBER', sequenceNumber: valid }
              : snapshot && inheritsReading(snapshot, shardId)
                ? { type: 'TRIM_HORIZON' }
                : startOf(initialPosition);
          const efo$ = this.efo?.reader<KinesumerRecord>({
            stream,
            shardId,
            start,
            report: (err) => this.report(err),
            toRecords: deliver,
            ready$: this.room$(handle),
            // kinesis-local ends no subscription with ChildShards: the reader checks closed shards.
            isClosed: () => this.latestView?.streams[stream]?.shards.find((s) => s.id === shardId)?.closed === true,
          });
          const reader$ = (efo$ ?? pollingReader<KinesumerRecord>({
            stream,
            shardId,
            start,
            kinesis: this.kinesis,
            scheduler,
            scanLimit: polling.scanLimit,
            scanTimeout: polling.scanTimeout,
            idleInterval: polling.idleInterval,
            retry,
            report: (err) => this.report(err),
            toRecords: deliver,
            ready$: this.room$(handle),
            // Ask only for what fits under the bound; after a stall (records dropped before
            // checkpoint()), read a full page.
            limit: () => {
              const room = polling.maxInFlight - handle.inFlight;
              return this.openPipelines > 0 && room > 0 ? room : polling.scanLimit;
            },
          })).pipe(
            tap({ complete: () => this.checkpointer.ended(handle) }),
            takeUntil(handle.lost),
          );
          const again$ = handle.lost.pipe(
            take(1),
            tap(() => this.recorder.left(stream, shardId, 'shardLost')),
            mergeMap(() => timer(acquireRetry, scheduler)),
            mergeMap(readOnce),
          );
          return merge(reader$, again$);
        }),
      );

    return readOnce();
  }
}

/** With backpressure, how long a reader waits for a mark before it reads on anyway, ms. */
const STALL_TIMEOUT = 10_000;

/** Not an error: the shard could not be taken yet. */
const NOT_TAKEN = Symbol('not taken');

/**
 * Creates a consumer-group member. Validates `config` synchronously and makes no network call
 * until {@link Kinesumer.consume}'s result is subscribed.
 *
 * ## Example
 * ```ts
 * import { createKinesumer } from 'rx-kinesumer';
 * const consumer = createKinesumer({
 *   app: 'myapp',
 *   kinesis: { region: 'eu-west-1' },
 *   stateStore: { table: 'kinesumer-state-store' },
 * });
 * ```
 *
 * @param config The configuration; see the README for every field and its default.
 * @returns A consumer, not yet connected.
 * @throws ConfigError listing every invalid field.
 */
export function createKinesumer(config: KinesumerConfig): Kinesumer {
  return new Kinesumer(config);
}

/**
 * The delivered records of one page, linked to their shard's state: KPL aggregates are taken
 * apart into their user records (a corrupt one is reported and delivered raw), and when reading
 * resumes inside an aggregate, its user records up to the checkpoint are skipped.
 */
function linkRecords(records: _Record[], handle: ShardHandle, report: (err: KinesumerError) => void): KinesumerRecord[] {
  const { stream, shardId } = handle;
  const out: LinkedRecord[] = [];
  let ordinal = handle.emitted;
  const skip = handle.skip;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const sequenceNumber = r.SequenceNumber!;
    const data = r.Data ?? new Uint8Array(0);
    if (isAggregated(data)) {
      const result = deaggregate(r);
      if ('records' in result) {
        const last = result.records.length - 1;
        for (const u of result.records) {
          if (skip !== undefined && skip.sequenceNumber === sequenceNumber && u.subSequenceNumber <= skip.sub) continue;
          out.push({
            stream,
            shardId,
            sequenceNumber,
            subSequenceNumber: u.subSequenceNumber,
            partitionKey: u.partitionKey,
            ...(u.explicitHashKey !== undefined && { explicitHashKey: u.explicitHashKey }),
            data: u.data,
            approximateArrivalTimestamp: r.ApproximateArrivalTimestamp,
            encryptionType: r.EncryptionType,
            [SHARD]: handle,
            [ORDINAL]: ordinal++,
            [PARTIAL]: u.subSequenceNumber < last ? u.subSequenceNumber : undefined,
          });
        }
        continue;
      }
      report(new CorruptAggregateError(stream, shardId, sequenceNumber, { cause: result.error }));
    } else if (skip !== undefined && skip.sequenceNumber === sequenceNumber) {
      continue; // recorded as partly processed, yet not an aggregate now: it was processed
    }
    out.push({
      stream,
      shardId,
      sequenceNumber,
      partitionKey: r.PartitionKey!,
      data,
      approximateArrivalTimestamp: r.ApproximateArrivalTimestamp,
      encryptionType: r.EncryptionType,
      [SHARD]: handle,
      [ORDINAL]: ordinal++,
      [PARTIAL]: undefined,
    });
  }
  if (records.length > 0) {
    handle.lastEmitted = records[records.length - 1]!.SequenceNumber;
    handle.skip = undefined;
  }
  handle.emitted = ordinal;
  return out;
}

function startOf(position: InitialPosition): StartPosition {
  if (position === 'LATEST') return { type: 'LATEST' };
  if (position === 'TRIM_HORIZON') return { type: 'TRIM_HORIZON' };
  return { type: 'AT_TIMESTAMP', timestamp: position.timestamp };
}

const STREAM_NAME = /^[a-zA-Z0-9_.-]{1,128}$/;
const STREAM_ARN = /^arn:aws[a-z-]*:kinesis:[a-z0-9-]+:\d{12}:stream\/([a-zA-Z0-9_.-]{1,128})$/;

/**
 * Checks `streams` (names, or ARNs for streams in other accounts) and returns them as names with
 * the ARNs they were given by. State-store keys use the name, as kinesumer's do, so two streams
 * of one name in one app would share state: that is refused (use one app per account).
 */
function parseStreams(streams: readonly string[]): { names: string[]; arns: Map<string, string> } {
  const bad = Array.isArray(streams) ? streams.filter((s) => typeof s !== 'string' || !(STREAM_NAME.test(s) || STREAM_ARN.test(s))) : [streams];
  if (!Array.isArray(streams) || bad.length > 0) {
    throw new UsageError(
      `streams must be Kinesis stream names (1-128 characters of a-z, A-Z, 0-9, _ . -) or stream ARNs ` +
        `(arn:aws:kinesis:REGION:ACCOUNT:stream/NAME); not ${JSON.stringify(bad)}`,
      'INVALID_STREAMS',
    );
  }
  const names: string[] = [];
  const arns = new Map<string, string>();
  const given = new Map<string, string>();
  for (const s of streams) {
    const name = STREAM_ARN.exec(s)?.[1] ?? s;
    const before = given.get(name);
    if (before !== undefined && before !== s) {
      throw new UsageError(
        `streams ${JSON.stringify(before)} and ${JSON.stringify(s)} have the same name "${name}"; their state would ` +
          'collide under one app: consume them with two consumers of different apps',
        'INVALID_STREAMS',
      );
    }
    if (before === undefined) names.push(name);
    given.set(name, s);
    if (s !== name) arns.set(name, s);
  }
  return { names, arns };
}

function onlyStreams(assignment: Assignment, streams: readonly string[]): Assignment {
  const out: Assignment = {};
  for (const stream of streams) if (assignment[stream]) out[stream] = assignment[stream]!;
  return out;
}

function assignmentKeys(assignment: Assignment): string[] {
  const keys: string[] = [];
  for (const [stream, shardIds] of Object.entries(assignment)) for (const id of shardIds) keys.push(`${stream}/${id}`);
  return keys;
}

function splitKey(key: string): [string, string] {
  const slash = key.indexOf('/');
  return [key.slice(0, slash), key.slice(slash + 1)];
}

function sameAssignment(a: Assignment, b: Assignment): boolean {
  const ak = Object.keys(a);
  if (ak.length !== Object.keys(b).length) return false;
  return ak.every((k) => {
    const x = a[k]!;
    const y = b[k];
    return y !== undefined && x.length === y.length && x.every((id, i) => id === y[i]);
  });
}

function asKinesumerError(err: unknown, operation: string): KinesumerError {
  if (err instanceof KinesumerError) return err;
  return new StateStoreError(operation, describeCause(err), { cause: err, retriable: true });
}
