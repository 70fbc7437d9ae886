import { EMPTY, Observable, Subject, catchError, concat, defer, finalize, from, ignoreElements, merge, mergeMap, takeUntil, timer } from 'rxjs';
import { CheckpointError, ClosedError, StateStoreError, UsageError, asStateStoreError, describeCause } from '../errors.js';
import { runOnce, SingleFlight } from '../internal/single-flight.js';
import type { KinesumerRecord } from '../record.js';
import { answerWithin } from '../retry.js';
import type { ShardState, StateStore } from '../state-store/state-store.js';
import type { CheckpointerOptions } from './checkpointer-options.js';
import { writeHeartbeat$ } from './heartbeat-commits.js';
import { writeItems$, type ItemWriteOptions } from './item-writes.js';
import { ORDINAL, PARTIAL, PRECEDING, progressOf, type LinkedRecord } from './linked-record.js';
import { inheritMarks$, rejoin$ } from './inherit-marks.js';
import { RetainedMarks } from './retained-marks.js';
import { releaseStray$ } from './stray-shards.js';
import { ShardProgress, type KinesumerCheckpoint } from './shard-progress.js';

export type { CheckpointerOptions } from './checkpointer-options.js';

/**
 * Keeps the progress of the shards this client holds and writes it to the state store.
 *
 * Checkpoint items are written with fenced writes ({@link writeItems$}) that never overlap, so a
 * slow write can never land after a newer one. With a store that has {@link StateStore.heartbeat},
 * a commit is one heartbeat carrying the marks of every held shard ({@link writeHeartbeat$}); the
 * items are written by {@link Checkpointer.flush$} (every `commit.itemInterval`, and on close),
 * when a shard is released, and when a shard is finished. Heartbeats never overlap either.
 */
export class Checkpointer {
  private readonly held = new Map<string, ShardProgress>();
  /** Marks of shards that left this client before their items held them: heartbeats keep carrying them. */
  readonly retained = new RetainedMarks();
  /** Releases in flight, by shard: taking the shard again waits for them. */
  private readonly releasing = new Map<string, Observable<never>>();
  private readonly writes = new SingleFlight();
  private readonly beats = new SingleFlight();
  /** The next heartbeat is this run's first, written with `store.rejoin` (which {@link inherit$} then leaves to it). */
  private rejoining: boolean;
  /** The digests the group sync gave for the heartbeat (the leader's); commit heartbeats carry them too. */
  private digests: Record<string, string> | undefined;
  private closed = false;
  private readonly commitRequests = new Subject<void>();
  private readonly finishedShards = new Subject<ShardProgress>();
  private readonly itemWrites: ItemWriteOptions;

  /** Asks for a commit now: the last record of an ended shard was marked. */
  readonly commitRequests$ = this.commitRequests.asObservable();
  /** Shards recorded as finished: their children may be read now. */
  readonly finished$ = this.finishedShards.asObservable();
  /** Commits go into heartbeats: the store has {@link StateStore.heartbeat}. */
  readonly viaHeartbeat: boolean;
  /**
   * The group's heartbeat is written here ({@link Checkpointer.beat$}): the store has
   * {@link StateStore.heartbeat}, so heartbeats carry the shard stats (and, with heartbeat
   * commits, the marks).
   */
  readonly writesHeartbeats: boolean;

  constructor(private readonly options: CheckpointerOptions) {
    this.writesHeartbeats = typeof options.store.heartbeat === 'function';
    this.viaHeartbeat = options.heartbeatCommits === true && this.writesHeartbeats;
    this.rejoining = this.viaHeartbeat && typeof options.store.rejoin === 'function';
    this.itemWrites = {
      ...options,
      onFinished: (progress) => this.finishedShards.next(progress),
      onLost: (progress) => {
        // (while the store still names this client the owner, its retake reads them from the heartbeat)
        if (this.viaHeartbeat) this.retained.retain(progress);
        this.forget(progress);
        progress.wasLost();
      },
      onSought: (progress) => this.sought(progress),
    };
  }

  /** Starts tracking a shard this client now holds; a progress left from an earlier take of it ends. See {@link ShardProgress}'s constructor. */
  open(
    stream: string,
    shardId: string,
    stored: string | undefined,
    resumeAfter: string | undefined,
    storedSub?: number,
    kinesumer?: KinesumerCheckpoint,
    seek = 0,
  ): ShardProgress {
    const progress = new ShardProgress(this, stream, shardId, stored, resumeAfter, storedSub, kinesumer, seek);
    this.retained.taken(stream, shardId);
    this.held.get(keyOf(progress))?.left();
    this.held.set(keyOf(progress), progress);
    return progress;
  }

  /**
   * A seek moved the shard (its stored `seek` is newer than the one its reading started from): it
   * stops at once, marks are no longer written, and it stays tracked until it is taken again or
   * freed (without a final write: the seek replaced what it would write).
   */
  sought(progress: ShardProgress): void {
    if (this.held.get(keyOf(progress)) === progress && progress.isHeld) progress.wasSought();
  }

  /** The reader delivered every record of the shard: record it as finished once they are marked. */
  ended(progress: ShardProgress): void {
    if (progress.readerEnded()) this.commitRequests.next();
  }

  /** The progress of a shard this client holds, if it does. */
  progress(stream: string, shardId: string): ShardProgress | undefined {
    return this.held.get(`${stream}/${shardId}`);
  }

  /** Whether `record` was delivered by this consumer. */
  owns(record: unknown): boolean {
    const progress = progressOf(record);
    return progress instanceof ShardProgress && progress.owner === this;
  }

  /**
   * Records that `record` (and everything before it in its shard) has been processed. Marks only
   * move forward, so a record filtered out of the pipeline never holds a later one back.
   *
   * @throws UsageError (`FOREIGN_RECORD`) for a value this consumer did not deliver.
   * @throws ClosedError after {@link Checkpointer.close$}.
   */
  mark(record: KinesumerRecord): void {
    const progress = progressOf(record);
    if (!(progress instanceof ShardProgress) || progress.owner !== this) {
      throw new UsageError('markRecord()/checkpoint() was given a value that is not a record delivered by this consumer', 'FOREIGN_RECORD');
    }
    if (this.closed) throw new ClosedError('markRecord()');
    const linked = record as LinkedRecord;
    if (progress.mark(record.sequenceNumber, linked[PARTIAL], linked[ORDINAL], linked[PRECEDING])) this.commitRequests.next();
  }

  /**
   * An explicit commit (`consumer.commit()`): a fenced item write per moved shard, so that a lost
   * shard is known when it completes. Emits nothing; completes when done. Never errors.
   */
  commit$(): Observable<never> {
    return this.flush$();
  }

  /**
   * The auto-commit: with heartbeat commits, one heartbeat carrying every mark (when any moved
   * since the last one) and item writes for finished shards; otherwise as {@link commit$}.
   */
  autoCommit$(): Observable<never> {
    if (!this.viaHeartbeat) return this.flush$();
    return concat(defer(() => (this.movedSinceBeat() ? this.reportedBeat$() : EMPTY)), this.finish$());
  }

  /** Writes every mark not yet in its checkpoint item (fenced). Never errors. */
  flush$(): Observable<never> {
    return this.writeItems(() => [...this.held.values()].filter((progress) => progress.dirty && !progress.sought));
  }

  /** Records ended shards whose every record is marked as finished (their children may start). Never errors. */
  finish$(): Observable<never> {
    if (!this.viaHeartbeat) return this.flush$();
    return this.writeItems(() => [...this.held.values()].filter((progress) => progress.complete && !progress.finished));
  }

  /**
   * Writes this client's heartbeat with its shard stats and (with heartbeat commits) the marks of
   * every shard it holds; `digests` (the leader's; `undefined` for a follower) are kept for later
   * commit heartbeats. Heartbeats never overlap. Fails as the store call fails.
   */
  beat$(digests: Record<string, string> | undefined): Observable<never> {
    return defer(() => {
      this.digests = digests;
      return this.heartbeat$();
    });
  }

  /** A static member's last heartbeat on close: as {@link beat$}, with the digests kept. */
  lastBeat$(): Observable<never> {
    return defer(() => this.heartbeat$());
  }

  /**
   * Before this client's first heartbeat: the marks its previous run under the same id committed
   * in its heartbeat, kept in the heartbeats until it takes those shards again (the take starts
   * after them). Emits nothing; a failed read is reported and the run goes on without them. With
   * a store that has `rejoin`, the first heartbeat reads them instead, and this does nothing.
   */
  inherit$(): Observable<never> {
    if (!this.viaHeartbeat || this.rejoining) return EMPTY;
    return inheritMarks$(this.retained, { ...this.options, call: <T>(operation: string) => this.storeCall<T>(operation) });
  }

  /** The shard left this client: write its marks, free it in the store, stop tracking it. */
  release$(stream: string, shardId: string): Observable<never> {
    return defer(() => {
      const key = `${stream}/${shardId}`;
      const progress = this.held.get(key);
      if (progress === undefined) return EMPTY;
      // A sought shard has nothing to write (its marks predate the seek) nor anything to wait for.
      if (progress.sought) return this.track(key, this.free$(progress));
      const { scheduler, timeout } = this.options;
      // Records a processing operator still has in flight get up to `timeout` to finish, so the
      // final write covers them; without one, this completes at once.
      const drained$ = progress.drain$().pipe(takeUntil(timer(timeout, scheduler)), ignoreElements());
      const release$ = defer(() => {
        // Marks from now on are ignored: they could miss the final write, and the next owner
        // delivers those records again anyway.
        progress.stopMarking();
        return concat(this.writeItems(() => (progress.dirty ? [progress] : [])), this.free$(progress));
      });
      return this.track(key, concat(drained$, release$));
    });
  }

  /**
   * An acquisition of the shard was left while in flight (the shard was assigned away): if its
   * answer says it took the shard, free it. Counts as a release for {@link settled$}.
   */
  abandoned(stream: string, shardId: string, answer$: Observable<unknown>): void {
    const { app, clientId, store, scheduler, report, timeout } = this.options;
    const key = `${stream}/${shardId}`;
    const release = answer$.pipe(
      answerWithin(this.options.heartbeatTimeout ?? timeout, scheduler, (message) => new StateStoreError('acquireShard', message, { retriable: true })),
      mergeMap((state) => (state ? from(store.releaseShard(app, stream, shardId, clientId)).pipe(this.storeCall('releaseShard')) : EMPTY)),
      ignoreElements(),
      catchError((err: unknown) => {
        report(asStateStoreError(err, 'releaseShard'));
        return EMPTY;
      }),
      runOnce(),
    );
    const before = this.releasing.get(key);
    this.track(key, before ? concat(before, release) : release).subscribe();
  }

  /**
   * Completes once no release of this shard by this client is in flight. Taking the shard again
   * before that would read a checkpoint that the release's final write is about to replace.
   */
  settled$(stream: string, shardId: string): Observable<never> {
    return defer(() => this.releasing.get(`${stream}/${shardId}`) ?? EMPTY);
  }

  /**
   * Frees the shards of `states` that the store says this client holds but that it neither
   * tracks, releases nor was `assigned` ({@link releaseStray$}), after writing the marks its
   * heartbeats still carry for them. Emits nothing; never errors.
   */
  releaseStrays$(stream: string, states: Iterable<ShardState>, assigned: ReadonlySet<string>): Observable<never> {
    const { app, clientId, store, scheduler, report } = this.options;
    const strays = [...states].filter((state) => {
      const key = `${stream}/${state.shardId}`;
      return state.owner === clientId && !state.finished && !assigned.has(state.shardId) && !this.held.has(key) && !this.releasing.has(key);
    });
    if (strays.length === 0 || this.closed) return EMPTY;
    const options = { app, clientId, store, report, now: () => scheduler.now(), call: <T>(operation: string) => this.storeCall<T>(operation) };
    return merge(
      ...strays.map((state) => {
        const mark = this.retained.get(stream, state.shardId);
        this.retained.taken(stream, state.shardId);
        return this.track(`${stream}/${state.shardId}`, releaseStray$(stream, state, mark, options));
      }),
    );
  }

  /** Writes every mark to its item, refuses new marks, frees every shard (with `keep`, static membership: stops tracking them, its id still holds them). */
  close$(keep = false): Observable<never> {
    return concat(
      this.flush$(),
      defer(() => {
        this.closed = true;
        return merge(...[...this.held.values()].map((progress) => this.free$(progress, !keep)));
      }),
    );
  }

  /** Whether `closed`: marks are refused. */
  get isClosed(): boolean {
    return this.closed;
  }

  private movedSinceBeat(): boolean {
    for (const progress of this.held.values()) if (progress.movedSinceBeat) return true;
    return false;
  }

  private heartbeat$(): Observable<never> {
    const { heartbeatTimeout, timeout } = this.options;
    const store = this.options.store as Required<Pick<StateStore, 'heartbeat' | 'rejoin'>>;
    return this.beats.run(() => {
      const stats = this.options.stats?.();
      const write$ = writeHeartbeat$(this.viaHeartbeat ? this.held.values() : [], this.digests, {
        ...this.options,
        store,
        timeout: heartbeatTimeout ?? timeout,
        stats,
        retained: this.viaHeartbeat ? this.retained.values() : undefined,
      });
      if (!this.rejoining) return write$;
      // The run's first heartbeat: `rejoin` writes it and reads the previous run's marks in one
      // call; a heartbeat write follows only when this one carries more (digests, stats, marks).
      return concat(
        rejoin$(this.retained, { ...this.options, store, timeout: heartbeatTimeout ?? timeout }),
        defer(() => {
          this.rejoining = false;
          const more = this.digests !== undefined || (stats !== undefined && Object.keys(stats).length > 0) || [...this.held.values()].some((p) => p.beatPosition !== undefined);
          return more ? write$ : EMPTY;
        }),
      );
    });
  }

  /** A commit heartbeat: a failure is reported for every held shard, and the marks wait for the next one. */
  private reportedBeat$(): Observable<never> {
    return this.heartbeat$().pipe(
      catchError((err: unknown) => {
        const byStream = new Map<string, string[]>();
        for (const progress of this.held.values()) {
          if (!progress.isHeld) continue;
          const ids = byStream.get(progress.stream) ?? [];
          byStream.set(progress.stream, [...ids, progress.shardId]);
        }
        for (const [stream, shardIds] of byStream) {
          this.options.report(new CheckpointError(stream, shardIds, `the heartbeat carrying them failed: ${describeCause(err)}`, { cause: err }));
        }
        return EMPTY;
      }),
    );
  }

  /** Item writes of `pick()`'s shards, chosen when the write's turn comes (after any write in flight). */
  private writeItems(pick: () => ShardProgress[]): Observable<never> {
    return this.writes.run(() => writeItems$(pick(), this.itemWrites));
  }

  /** Frees the shard in the store (unless not `inStore`) and stops tracking it. Never errors. */
  private free$(progress: ShardProgress, inStore = true): Observable<never> {
    const { app, clientId, store, report, recorder } = this.options;
    return defer(() => {
      // A final write that did not land (the store out of reach): the heartbeats keep the marks.
      if (this.viaHeartbeat && !progress.sought) this.retained.retain(progress);
      this.forget(progress);
      progress.left();
      recorder?.left(progress.stream, progress.shardId, 'shardReleased');
      if (!inStore) return EMPTY;
      return from(store.releaseShard(app, progress.stream, progress.shardId, clientId)).pipe(
        this.storeCall('releaseShard'),
        ignoreElements(),
        catchError((err: unknown) => {
          report(asStateStoreError(err, 'releaseShard'));
          return EMPTY;
        }),
      );
    });
  }

  private storeCall<T>(operation: string) {
    return answerWithin<T>(this.options.timeout, this.options.scheduler, (message) => new StateStoreError(operation, message, { retriable: true }));
  }

  /** Registers `release` as the shard's release in flight until it ends; runs it at most once. */
  private track(key: string, release: Observable<never>): Observable<never> {
    const tracked: Observable<never> = release.pipe(
      finalize(() => {
        if (this.releasing.get(key) === tracked) this.releasing.delete(key);
      }),
      runOnce(),
    );
    this.releasing.set(key, tracked);
    return tracked;
  }

  private forget(progress: ShardProgress): void {
    if (this.held.get(keyOf(progress)) === progress) this.held.delete(keyOf(progress));
  }
}

function keyOf(progress: ShardProgress): string {
  return `${progress.stream}/${progress.shardId}`;
}
