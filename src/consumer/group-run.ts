import { EMPTY, Observable, Subject, catchError, concat, defer, exhaustMap, filter, from, ignoreElements, map, merge, mergeMap, of, tap, timer } from 'rxjs';
import type { Checkpointer } from '../checkpoint/checkpointer.js';
import type { ResolvedConfig } from '../config/kinesumer-config.js';
import type { EnhancedFanOut } from '../efo/enhanced-fan-out.js';
import { ShardStalledError, asStateStoreError, type KinesumerError } from '../errors.js';
import { groupSync, type Assignment, type GroupView } from '../group/group-sync.js';
import type { StreamSnapshot } from '../group/shard-lineage.js';
import { mergeByKey } from '../internal/merge-by-key.js';
import type { KinesisApi } from '../kinesis/kinesis-api.js';
import type { MetricsRecorder } from '../metrics/metrics-recorder.js';
import type { KinesumerRecord } from '../record.js';
import { retryWithBackoff } from '../retry.js';
import type { PauseControl } from '../shard/pause-control.js';
import { shardSession } from '../shard/shard-session.js';
import type { StateStore } from '../state-store/state-store.js';
import { assignmentKeys, onlyStreams, splitKey } from './assignment-keys.js';

/** What the group saw last, kept across runs: the shard sessions and enhanced fan-out read it. */
export interface LatestView {
  /** The last completed sync round. */
  view: GroupView | undefined;
  /** The shard keys of the last assignment, to tell a rebalance from a repeated round. */
  keys: string;
}

/** What one run of the group needs. */
export interface GroupRunOptions {
  app: string;
  clientId: string;
  store: StateStore;
  kinesis: KinesisApi;
  efo: EnhancedFanOut | undefined;
  checkpointer: Checkpointer;
  recorder: MetricsRecorder;
  pause: PauseControl;
  config: Pick<ResolvedConfig, 'scheduler' | 'group' | 'commit' | 'polling' | 'retry' | 'initialPosition' | 'metrics'>;
  report: (err: KinesumerError) => void;
  latest: LatestView;
  /** The streams consumed now; read at the start of every sync round. */
  streams: () => readonly string[];
  /** `refresh()`: a sync round now. */
  refreshes$: Observable<unknown>;
  /** Whether `close()` was called. */
  isStopping: () => boolean;
  /** Whether a `checkpoint()` is in the pipeline. */
  tracked: () => boolean;
  /** This client's assignment after each round. */
  onAssignment: (assignment: Assignment) => void;
}

/**
 * One run of the group, from the first subscriber until the group stops: checks the store,
 * joins the group ({@link groupSync}: heartbeats, membership, shard lists, assignment), keeps a
 * {@link shardSession} for each assigned shard, and commits (auto-commit, item flushes, finished
 * shards). Its state lives in this function's closure, one per subscription.
 *
 * @returns The records of every owned shard, one array per page; errors only when the store
 *   cannot be used at all (a missing table, say).
 */
export function groupRun(options: GroupRunOptions): Observable<KinesumerRecord[]> {
  const { app, clientId, store, kinesis, checkpointer, recorder, report, latest, config } = options;
  const { scheduler, group, commit, retry } = config;

  const ready$ = defer(() => (store.ready ? from(store.ready()) : of(undefined))).pipe(
    retryWithBackoff({ ...retry, scheduler }, { onRetry: (err) => report(asStateStoreError(err, 'ready')) }),
    catchError((err: unknown) => {
      const error = asStateStoreError(err, 'ready');
      report(error);
      throw error;
    }),
  );

  const views$ = groupSync({
    app,
    clientId,
    store,
    kinesis,
    scheduler,
    syncInterval: group.syncInterval,
    clientTimeout: group.clientTimeout,
    streams: options.streams,
    report,
    triggers: merge(options.refreshes$, checkpointer.finished$),
    ...(checkpointer.writesHeartbeats ? { beat: (digests: Record<string, string> | undefined) => checkpointer.beat$(digests) } : {}),
    initialLatest: config.initialPosition === 'LATEST',
    assignment: group.assignment,
  });

  // Every round's view reaches the shard sessions (a seek shows as a newer `seek`) before the
  // assignment is applied, so a session sees the seek whether or not its shard stays assigned.
  const rounds = new Subject<GroupView>();
  const keys$ = views$.pipe(
    tap((view) => {
      latest.view = view;
      recorder.view(view);
      for (const [stream, snapshot] of Object.entries(view.streams)) {
        // shards held in the store under this id that this run does not read: free them (after their marks)
        checkpointer.releaseStrays$(stream, snapshot.states.values(), new Set(view.assignment[stream] ?? [])).subscribe();
        checkpointer.retained.pruneBy(stream, snapshot.states, clientId);
      }
      rounds.next(view);
    }),
    map((view) => onlyStreams(view.assignment, options.streams())),
    tap(options.onAssignment),
    map(assignmentKeys),
    tap((keys) => {
      const joined = keys.join(',');
      if (joined !== latest.keys) recorder.assignment(keys);
      latest.keys = joined;
    }),
  );

  const records$ = keys$.pipe(
    mergeByKey((key) => {
      const [stream, shardId] = splitKey(key);
      return shardSession(stream, shardId, {
        app,
        clientId,
        store,
        kinesis,
        efo: options.efo,
        pause: options.pause,
        checkpointer,
        recorder,
        report,
        scheduler,
        syncInterval: group.syncInterval,
        clientTimeout: group.clientTimeout,
        retry,
        polling: config.polling,
        initialPosition: config.initialPosition,
        snapshot: () => latest.view?.streams[stream],
        snapshots$: rounds.pipe(
          map((view) => view.streams[stream]),
          filter((snapshot): snapshot is StreamSnapshot => snapshot !== undefined),
        ),
        assigned: () => onlyStreams(latest.view?.assignment ?? {}, options.streams())[stream]?.includes(shardId) === true,
        tracked: options.tracked,
        isStopping: options.isStopping,
      });
    }),
  );

  // With heartbeat commits every heartbeat (each syncInterval) carries the marks: a timer of
  // its own is needed only for a shorter commit interval.
  const ownTimer = !checkpointer.viaHeartbeat || commit.interval < group.syncInterval;
  const autoCommit$ =
    commit.auto && ownTimer
      ? timer(commit.interval, commit.interval, scheduler).pipe(
          exhaustMap(() => checkpointer.autoCommit$()),
          ignoreElements(),
        )
      : EMPTY;

  // With heartbeat commits, the checkpoint items (kinesumer's layout) are brought up to date
  // every itemInterval; this is also when a lost shard is noticed at the latest.
  const itemFlush$ = checkpointer.viaHeartbeat
    ? timer(commit.itemInterval, commit.itemInterval, scheduler).pipe(
        exhaustMap(() => checkpointer.flush$()),
        ignoreElements(),
      )
    : EMPTY;

  // The last record of an ended shard was marked: record it finished now, not at the next tick.
  const finishing$ = checkpointer.commitRequests$.pipe(
    mergeMap(() => checkpointer.finish$()),
    ignoreElements(),
  );

  const storeErrors$ = (store.errors$ ?? EMPTY).pipe(tap(report), ignoreElements());

  // The marks of a previous run under this id, before the first heartbeat replaces them.
  return concat(ready$.pipe(ignoreElements()), checkpointer.inherit$(), merge(records$, autoCommit$, itemFlush$, finishing$, storeErrors$, stallWatch$(recorder, config, report)));
}

/** How often owned shards are checked for stalls: a quarter of the timeout, between 250 ms and 5 s. */
export function stallCheckInterval(stallTimeout: number): number {
  return Math.max(250, Math.min(5000, Math.round(stallTimeout / 4)));
}

/**
 * Reports every owned shard that becomes stalled (see `stallOf`): a `shardStalled` event and a
 * `ShardStalledError`, once per stall. Emits nothing.
 */
function stallWatch$(recorder: MetricsRecorder, config: Pick<ResolvedConfig, 'scheduler' | 'metrics'>, report: (err: KinesumerError) => void): Observable<never> {
  const { stallTimeout } = config.metrics;
  const every = stallCheckInterval(stallTimeout);
  return timer(every, every, config.scheduler).pipe(
    tap(() => {
      for (const stall of recorder.stalls(stallTimeout)) {
        recorder.emit({ type: 'shardStalled', ...stall });
        report(new ShardStalledError(stall.stream, stall.shardId, stall));
      }
    }),
    ignoreElements(),
  );
}
