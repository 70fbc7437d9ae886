import {
  EMPTY,
  Observable,
  Subject,
  catchError,
  concat,
  defer,
  finalize,
  from,
  ignoreElements,
  map,
  merge,
  mergeMap,
  of,
  share,
  tap,
  timeout,
  type SchedulerLike,
} from 'rxjs';
import {
  CheckpointError,
  ClosedError,
  KinesumerError,
  ShardLostError,
  StateStoreError,
  UsageError,
  describeCause,
} from '../errors.js';
import type { MetricsRecorder } from '../metrics/metrics-recorder.js';
import type { KinesumerRecord } from '../record.js';
import { encodePosition, isAfterPosition, positionOf } from '../position.js';
import type { HeartbeatCheckpoints } from '../state-store/heartbeat-checkpoints.js';
import type { StateStore } from '../state-store/state-store.js';

/** The hidden link from a delivered record to the shard it came from. */
export const SHARD = Symbol('rx-kinesumer.shard');
/** The hidden position of a delivered record among its shard's deliveries (0, 1, 2, ...). */
export const ORDINAL = Symbol('rx-kinesumer.ordinal');
/**
 * Hidden on a user record of a KPL aggregate that is not the aggregate's last: its sub-sequence
 * number (marking it covers the aggregate only up to it). `undefined` on every other record.
 */
export const PARTIAL = Symbol('rx-kinesumer.partial');

/** The checkpoint state of one shard this client holds, shared by every record read from it. */
export class ShardHandle {
  /** False once the shard left this client or was lost: later marks are ignored. */
  active = true;
  /** The highest sequence number that reached `checkpoint()`. */
  marked: string | undefined;
  /** With `marked`: how far into a KPL aggregate (its last processed sub-sequence); `undefined`: all of it. */
  markedSub: number | undefined;
  /** The checkpoint as the store holds it: the `previous` of the next fenced write. */
  stored: string | undefined;
  storedSub: number | undefined;
  /** Resuming inside an aggregate: user records of `sequenceNumber` up to `sub` were processed. */
  skip: { sequenceNumber: string; sub: number } | undefined;
  /** The last record delivered from this shard. */
  lastEmitted: string | undefined;
  /** The reader reached the end of the (closed) shard. */
  ended = false;
  /** The shard was recorded as finished in the store. */
  finished = false;
  /** Emits once when a fenced write shows another client holds the shard. */
  readonly lost = new Subject<void>();
  /**
   * Checkpoints this client tried to write whose answer never came (a timeout, a dropped
   * connection): one may have landed, and then the next fenced write fails although the shard is
   * still ours.
   */
  readonly unsure = new Set<string>();
  /** Records delivered from this shard so far. */
  emitted = 0;
  /** Records of this shard known processed: one past the ordinal of the last marked record. */
  reached = 0;
  /** `reached` as of the last applied write (for the checkpointed-records metric). */
  reachedCommitted = 0;
  /** The position the last landed heartbeat carried for this shard (`seq` or `seq/sub`). */
  beaten: string | undefined;
  /** Set while the reader waits for room; `mark()` signals `room` when enough was processed. */
  waitingBelow = -1;
  readonly room = new Subject<void>();

  constructor(
    readonly owner: Checkpointer,
    readonly stream: string,
    readonly shardId: string,
    /** The stored checkpoint, even one left by an older stream of the same name. */
    stored: string | undefined,
    /** The checkpoint reading resumes after, if it is valid for this shard. */
    resumeAfter: string | undefined,
    /** The stored sub-sequence (a partly processed aggregate at the checkpoint). */
    storedSub?: number,
  ) {
    this.stored = stored;
    this.storedSub = storedSub;
    this.marked = resumeAfter;
    this.markedSub = resumeAfter === undefined ? undefined : storedSub;
    this.skip = resumeAfter !== undefined && storedSub !== undefined ? { sequenceNumber: resumeAfter, sub: storedSub } : undefined;
  }

  /** Records delivered but not yet processed (as far as marks tell). */
  get inFlight(): number {
    return this.emitted - this.reached;
  }

  /** Every record delivered from the ended shard is marked: the shard can be recorded finished. */
  get complete(): boolean {
    return this.ended && (this.lastEmitted === undefined || (this.marked === this.lastEmitted && this.markedSub === undefined));
  }
}

/** A record as the reader builds it: the public fields plus the hidden shard link and position. */
export type LinkedRecord = KinesumerRecord & {
  readonly [SHARD]: ShardHandle;
  readonly [ORDINAL]: number;
  readonly [PARTIAL]: number | undefined;
};


/** What the checkpointer needs. */
export interface CheckpointerOptions {
  app: string;
  clientId: string;
  store: StateStore;
  scheduler: SchedulerLike;
  /** Time allowed for one store write, ms. */
  timeout: number;
  /**
   * Time allowed for one heartbeat, ms (the group's `clientTimeout`: a heartbeat is late only
   * when the others would count this client dead). Default `timeout`.
   */
  heartbeatTimeout?: number;
  report: (err: KinesumerError) => void;
  /** Counts commits and checkpointed records. */
  recorder?: MetricsRecorder;
  /**
   * Commit through heartbeats (needs a store with {@link StateStore.heartbeat}): every heartbeat
   * carries the current marks. Only with auto-commit: heartbeats go out whether or not a commit
   * was asked for. Default false.
   */
  heartbeatCommits?: boolean;
}

/**
 * Keeps the marks of the shards this client holds and writes them to the state store.
 *
 * The checkpoint items are written with fenced writes: only while this client holds the shard and
 * only over the checkpoint it last saw, so a checkpoint never moves backwards and a stale owner
 * cannot overwrite a newer one. Item writes never overlap, so a slow write can never land after a
 * newer one.
 *
 * With a store that has {@link StateStore.heartbeat}, a commit is one heartbeat carrying the
 * marks of every held shard ({@link Checkpointer.commit$}); the items are written by
 * {@link Checkpointer.flush$} (every `commit.itemInterval`, and on close), when a shard is
 * released, and when a shard is finished. Heartbeats never overlap either.
 */
export class Checkpointer {
  private readonly handles = new Map<string, ShardHandle>();
  /** Releases in flight, by shard. */
  private readonly releasing = new Map<string, Observable<never>>();
  private running: Observable<never> | undefined;
  private beating: Observable<never> | undefined;
  /** The digests the group sync gave for the heartbeat (the leader's); commit heartbeats carry them too. */
  private digests: Record<string, string> | undefined;
  private closed = false;
  private readonly commitRequests = new Subject<void>();
  private readonly finishedShards = new Subject<ShardHandle>();

  /** Asks for a commit now: the last record of an ended shard was marked. */
  readonly commitRequests$ = this.commitRequests.asObservable();
  /** Shards recorded as finished: their children may be read now. */
  readonly finished$ = this.finishedShards.asObservable();

  /** Commits go into heartbeats: the store has {@link StateStore.heartbeat}. */
  readonly viaHeartbeat: boolean;

  constructor(private readonly options: CheckpointerOptions) {
    this.viaHeartbeat = options.heartbeatCommits === true && typeof options.store.heartbeat === 'function';
  }

  /** Starts tracking a shard this client now holds. */
  open(stream: string, shardId: string, stored: string | undefined, resumeAfter: string | undefined, storedSub?: number): ShardHandle {
    const handle = new ShardHandle(this, stream, shardId, stored, resumeAfter, storedSub);
    this.handles.get(keyOf(handle))?.lost.complete();
    this.handles.set(keyOf(handle), handle);
    return handle;
  }

  /** The reader delivered every record of the shard: record it as finished once they are marked. */
  ended(handle: ShardHandle): void {
    handle.ended = true;
    if (handle.active && handle.complete) this.commitRequests.next();
  }

  /**
   * Records that `record` (and everything before it in its shard) has been processed. Marks only
   * move forward, so a record filtered out of the pipeline never holds a later one back.
   */
  mark(record: KinesumerRecord): void {
    const handle = (record as Partial<LinkedRecord> | null | undefined)?.[SHARD];
    if (!(handle instanceof ShardHandle) || handle.owner !== this) {
      throw new UsageError(
        'markRecord()/checkpoint() was given a value that is not a record delivered by this consumer',
        'FOREIGN_RECORD',
      );
    }
    if (this.closed) throw new ClosedError('markRecord()');
    const sub = (record as LinkedRecord)[PARTIAL];
    if (handle.active && isAfterPosition(record.sequenceNumber, sub, handle.marked, handle.markedSub)) {
      handle.marked = record.sequenceNumber;
      handle.markedSub = sub;
      const reached = (record as LinkedRecord)[ORDINAL] + 1;
      if (reached > handle.reached) {
        handle.reached = reached;
        if (handle.waitingBelow >= 0 && handle.inFlight <= handle.waitingBelow) {
          handle.waitingBelow = -1;
          handle.room.next();
        }
      }
      if (handle.ended && handle.complete) this.commitRequests.next();
    }
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
    return this.serialized(() => dirtyOf(this.handles.values()));
  }

  /** Records ended shards whose every record is marked as finished (their children may start). Never errors. */
  finish$(): Observable<never> {
    if (!this.viaHeartbeat) return this.flush$();
    return this.serialized(() => [...this.handles.values()].filter((handle) => handle.complete && !handle.finished));
  }

  /**
   * Writes this client's heartbeat with the marks of every shard it holds; `digests` (the
   * leader's; `undefined` for a follower) are kept for later commit heartbeats. Heartbeats never
   * overlap. Fails as the store call fails.
   */
  beat$(digests: Record<string, string> | undefined): Observable<never> {
    return defer(() => {
      this.digests = digests;
      return this.chainedBeat$();
    });
  }

  private reportedBeat$(): Observable<never> {
    return this.chainedBeat$().pipe(
      catchError((err: unknown) => {
        const byStream = new Map<string, string[]>();
        for (const handle of this.handles.values()) if (handle.active) entryOf(byStream, handle.stream).push(handle.shardId);
        for (const [stream, shardIds] of byStream) {
          this.options.report(new CheckpointError(stream, shardIds, `the heartbeat carrying them failed: ${describeCause(err)}`, { cause: err }));
        }
        return EMPTY;
      }),
    );
  }

  private movedSinceBeat(): boolean {
    for (const handle of this.handles.values()) {
      if (handle.active && handle.marked !== undefined && encodePosition(positionOf(handle.marked, handle.markedSub)) !== handle.beaten) return true;
    }
    return false;
  }

  private chainedBeat$(): Observable<never> {
    return defer(() => {
      if (this.beating) return concat(this.beating.pipe(catchError(() => EMPTY)), this.chainedBeat$());
      const done = () => {
        if (this.beating === run) this.beating = undefined;
      };
      const run = this.writeBeat$().pipe(tap({ complete: done, error: done }), runOnce());
      this.beating = run;
      return run;
    });
  }

  private writeBeat$(): Observable<never> {
    const { app, clientId, store, scheduler } = this.options;
    return defer(() => {
      const startedAt = scheduler.now();
      const checkpoints: HeartbeatCheckpoints = {};
      const carried: { handle: ShardHandle; position: string; reached: number; sequenceNumber: string }[] = [];
      for (const handle of this.handles.values()) {
        if (!handle.active || handle.marked === undefined) continue;
        const position = positionOf(handle.marked, handle.markedSub);
        (checkpoints[handle.stream] ??= {})[handle.shardId] = position;
        carried.push({ handle, position: encodePosition(position), reached: handle.reached, sequenceNumber: handle.marked });
      }
      const heartbeat = this.digests === undefined ? { checkpoints } : { checkpoints, digests: this.digests };
      const limit = this.options.heartbeatTimeout ?? this.options.timeout;
      return from(store.heartbeat!(app, clientId, new Date(startedAt), heartbeat)).pipe(
        timeout({
          each: limit,
          with: () => {
            throw new StateStoreError('heartbeat', `no answer within ${limit} ms`, { retriable: true });
          },
          scheduler,
        }),
        mergeMap(() => {
          for (const { handle, position, reached, sequenceNumber } of carried) {
            if (reached > handle.reachedCommitted) {
              this.options.recorder?.committed(handle.stream, handle.shardId, reached - handle.reachedCommitted, sequenceNumber, scheduler.now() - startedAt);
              handle.reachedCommitted = reached;
            }
            handle.beaten = position;
          }
          return EMPTY;
        }),
      );
    });
  }

  /** The shard left this client: write its marks, free it in the store, stop tracking it. */
  release$(stream: string, shardId: string): Observable<never> {
    return defer(() => {
      const key = `${stream}/${shardId}`;
      const handle = this.handles.get(key);
      if (handle === undefined) return EMPTY;
      // Marks from now on are ignored: they could miss the final write, and the next owner
      // delivers those records again anyway.
      handle.active = false;
      const release = concat(this.serialized(() => dirtyOf([handle])), this.free$(handle)).pipe(
        finalize(() => {
          if (this.releasing.get(key) === release) this.releasing.delete(key);
        }),
        runOnce(),
      );
      this.releasing.set(key, release);
      return release;
    });
  }

  /**
   * An acquisition of the shard was left while in flight (the shard was assigned away): if its
   * answer says it took the shard, free it. Counts as a release for {@link settled$}.
   */
  abandoned(stream: string, shardId: string, answer$: Observable<unknown>): void {
    const { app, clientId, store, scheduler, report } = this.options;
    const key = `${stream}/${shardId}`;
    const release = answer$.pipe(
      timeout({ first: this.options.heartbeatTimeout ?? this.options.timeout, scheduler }),
      mergeMap((state) => (state ? from(store.releaseShard(app, stream, shardId, clientId)) : EMPTY)),
      timeout({ each: this.options.timeout, scheduler }),
      ignoreElements(),
      catchError((err: unknown) => {
        report(asStoreError(err, 'releaseShard'));
        return EMPTY;
      }),
      runOnce(),
    );
    const before = this.releasing.get(key);
    const pending: Observable<never> = (before ? concat(before, release) : release).pipe(
      finalize(() => {
        if (this.releasing.get(key) === pending) this.releasing.delete(key);
      }),
      runOnce(),
    );
    this.releasing.set(key, pending);
    pending.subscribe();
  }

  /**
   * Completes once no release of this shard by this client is in flight. Taking the shard again
   * before that would read a checkpoint that the release's final write is about to replace.
   */
  settled$(stream: string, shardId: string): Observable<never> {
    return defer(() => this.releasing.get(`${stream}/${shardId}`) ?? EMPTY);
  }

  /** Writes every mark to its item, frees every shard, then refuses new marks. */
  close$(): Observable<never> {
    return concat(
      this.flush$(),
      defer(() => {
        this.closed = true;
        const held = [...this.handles.values()];
        return merge(...held.map((handle) => this.free$(handle)));
      }),
    );
  }

  /** Whether `closed`: marks are refused. */
  get isClosed(): boolean {
    return this.closed;
  }

  private free$(handle: ShardHandle): Observable<never> {
    const { app, clientId, store, scheduler, report } = this.options;
    return defer(() => {
      handle.active = false;
      if (this.handles.get(keyOf(handle)) === handle) this.handles.delete(keyOf(handle));
      handle.lost.complete();
      this.options.recorder?.left(handle.stream, handle.shardId, 'shardReleased');
      return from(store.releaseShard(app, handle.stream, handle.shardId, clientId)).pipe(
        timeout({ each: this.options.timeout, scheduler }),
        mergeMap(() => EMPTY),
        catchError((err: unknown) => {
          report(asStoreError(err, 'releaseShard'));
          return EMPTY;
        }),
      );
    });
  }

  /** Runs a write of `pick()`'s handles after any write in flight. */
  private serialized(pick: () => ShardHandle[]): Observable<never> {
    return defer(() => {
      if (this.running) return concat(this.running, this.serialized(pick));
      const handles = pick();
      if (handles.length === 0) return EMPTY;
      // Cleared as the write completes, before its subscribers hear of it: one of them may start
      // the next write at once, and must not find this one still running.
      const done = () => {
        if (this.running === run) this.running = undefined;
      };
      const run = this.write$(handles).pipe(tap({ complete: done, error: done }), runOnce());
      this.running = run;
      return run;
    });
  }

  private write$(handles: ShardHandle[]): Observable<never> {
    const { app, clientId, store, scheduler, report } = this.options;
    const now = new Date(scheduler.now());
    return merge(
      ...handles.map((handle) => {
        // Snapshot now: marks made while the write is in flight go into the next commit.
        const sequenceNumber = handle.marked;
        const subSequenceNumber = handle.markedSub;
        const finishing = handle.complete && !handle.finished;
        const previous = handle.stored;
        const reached = handle.reached;
        const startedAt = scheduler.now();
        return defer(() =>
          from(
            store.commitShard(app, handle.stream, handle.shardId, {
              clientId,
              sequenceNumber,
              subSequenceNumber,
              previous,
              finished: finishing,
              now,
            }),
          ),
        ).pipe(
          timeout({
            each: this.options.timeout,
            with: () => {
              throw new Error(`no answer within ${this.options.timeout} ms`);
            },
            scheduler,
          }),
          mergeMap((applied) => {
            if (applied) {
              // A position a heartbeat already made durable is not committed a second time.
              const beaten = sequenceNumber !== undefined && encodePosition(positionOf(sequenceNumber, subSequenceNumber)) === handle.beaten;
              if (!beaten || reached > handle.reachedCommitted) {
                this.options.recorder?.committed(handle.stream, handle.shardId, reached - handle.reachedCommitted, sequenceNumber, scheduler.now() - startedAt);
              }
              handle.reachedCommitted = Math.max(handle.reachedCommitted, reached);
              handle.unsure.clear();
              if (sequenceNumber !== undefined) {
                handle.stored = sequenceNumber;
                handle.storedSub = subSequenceNumber;
              }
              if (finishing) {
                handle.finished = true;
                this.finishedShards.next(handle);
              }
              return EMPTY;
            }
            return this.landed$(handle).pipe(
              mergeMap((landed) => {
                if (landed) return this.write$([handle]); // at most once: `unsure` is empty now
                this.options.recorder?.commitFailed(handle.stream, handle.shardId, true);
                handle.active = false;
                if (this.handles.get(keyOf(handle)) === handle) this.handles.delete(keyOf(handle));
                report(new ShardLostError(handle.stream, handle.shardId));
                handle.lost.next();
                handle.lost.complete();
                return EMPTY;
              }),
            );
          }),
          catchError((err: unknown) => {
            this.options.recorder?.commitFailed(handle.stream, handle.shardId, false);
            if (sequenceNumber !== undefined) handle.unsure.add(sequenceNumber);
            report(new CheckpointError(handle.stream, [handle.shardId], describeCause(err), { cause: err }));
            return EMPTY;
          }),
        );
      }),
    );
  }

  /**
   * After a fenced write failed: whether the stored checkpoint is one of `handle`'s writes whose
   * answer was lost, with this client still the owner. Then the shard was never lost; the stored
   * checkpoint becomes the `previous` of the next write.
   */
  private landed$(handle: ShardHandle): Observable<boolean> {
    const { app, clientId, store, scheduler } = this.options;
    if (handle.unsure.size === 0) return of(false);
    return defer(() => from(store.listShardStates(app, handle.stream))).pipe(
      timeout({ each: this.options.timeout, scheduler }),
      map((states) => {
        const state = states.find((s) => s.shardId === handle.shardId);
        const stored = state?.owner === clientId ? state.sequenceNumber : undefined;
        if (stored === undefined || !handle.unsure.has(stored)) return false;
        handle.stored = stored;
        handle.unsure.clear();
        return true;
      }),
    );
  }
}

/**
 * `share()` that runs its source at most once: a late subscriber, also one that subscribes while
 * the completion is being delivered (before `finalize` cleared the reference it found), gets the
 * completion instead of running the write again with the marks and `previous` it captured, which
 * would fail the fenced condition and look like a lost shard.
 */
function runOnce<T>() {
  return share<T>({ resetOnError: false, resetOnComplete: false, resetOnRefCountZero: false });
}

function keyOf(handle: ShardHandle): string {
  return `${handle.stream}/${handle.shardId}`;
}

function entryOf(map: Map<string, string[]>, key: string): string[] {
  let list = map.get(key);
  if (list === undefined) map.set(key, (list = []));
  return list;
}

function dirtyOf(handles: Iterable<ShardHandle>): ShardHandle[] {
  const out: ShardHandle[] = [];
  for (const handle of handles) {
    const moved = handle.marked !== undefined && (handle.marked !== handle.stored || handle.markedSub !== handle.storedSub);
    if (moved || (handle.complete && !handle.finished)) out.push(handle);
  }
  return out;
}

function asStoreError(err: unknown, operation: string): KinesumerError {
  if (err instanceof KinesumerError) return err;
  return new StateStoreError(operation, describeCause(err), { cause: err, retriable: true });
}
