import { Observable, concat, defer, finalize, from, mergeMap, of, retry, tap, throwError, timer, type SchedulerLike } from 'rxjs';
import type { Checkpointer } from '../checkpoint/checkpointer.js';
import { StateStoreError, asStateStoreError, type KinesumerError } from '../errors.js';
import type { StreamSnapshot } from '../group/shard-lineage.js';
import { runOnce } from '../internal/single-flight.js';
import { answerWithin, retryWithBackoff, type RetryPolicy } from '../retry.js';
import type { ShardState, StateStore } from '../state-store/state-store.js';
import { MIN_CALL_INTERVAL } from './polling-reader.js';

/** What taking a shard needs. */
export interface AcquireShardOptions {
  app: string;
  clientId: string;
  store: Pick<StateStore, 'acquireShard'>;
  scheduler: SchedulerLike;
  /** `group.syncInterval`, ms: a shard held by another live client is asked for again every fifth of it. */
  syncInterval: number;
  /** `group.clientTimeout`, ms: an owner whose heartbeat is older is dead; also the time allowed for the call. */
  clientTimeout: number;
  retry: Omit<RetryPolicy, 'scheduler'>;
  report: (err: KinesumerError) => void;
  /** The stream's snapshot from the last sync round, if any: the shard's start, and whether it was seen free. */
  snapshot: () => StreamSnapshot | undefined;
  /** Where a release this client still has in flight is awaited, and an abandoned take is undone. */
  checkpointer: Pick<Checkpointer, 'settled$' | 'abandoned'>;
}

/** Not an error: the shard could not be taken yet. */
const NOT_TAKEN = Symbol('not taken');

/** How often a shard that another live client still holds (a handoff in progress) is asked for, ms. */
export function acquireRetryInterval(syncInterval: number): number {
  return Math.max(MIN_CALL_INTERVAL, Math.round(syncInterval / 5));
}

/**
 * Takes the shard in the state store for this client: after any release of it this client still
 * has in flight, with one conditional take per attempt. Failed calls are reported and retried with
 * backoff; while another live client holds the shard, or it is finished, it is asked for again
 * every {@link acquireRetryInterval}. Emits the shard's state once taken, then completes; never
 * errors.
 *
 * A call still in flight when the subscriber leaves (the shard was assigned away) goes on: if it
 * then takes the shard, the checkpointer releases it, since nobody would read or free it.
 */
export function acquireShard$(stream: string, shardId: string, options: AcquireShardOptions): Observable<ShardState> {
  const { app, clientId, store, scheduler, clientTimeout, report, checkpointer } = options;

  const attempt$ = defer(() => {
    const snapshot = options.snapshot();
    const shard = snapshot?.shards.find((s) => s.id === shardId);
    const seen = snapshot?.states.get(shardId);
    const now = scheduler.now();
    const call$ = from(
      store.acquireShard(app, stream, shardId, {
        clientId,
        // The owner's own heartbeat decides, read now: a client that joined after our last
        // listing is alive, and its shards are not ours to take.
        aliveSince: new Date(now - clientTimeout),
        shardStart: shard?.startingSequenceNumber,
        now: new Date(now),
        // the last round saw it free: the store may take it without reading it first
        seenFree: snapshot !== undefined && seen?.owner === undefined,
      }),
    ).pipe(runOnce());
    let settled = false;
    return call$.pipe(
      answerWithin<ShardState | undefined>(clientTimeout, scheduler, (message) => {
        settled = true; // given up on: its retry takes the shard, nothing is left to undo
        return new StateStoreError('acquireShard', message, { retriable: true });
      }),
      tap({ next: () => (settled = true), error: () => (settled = true) }),
      finalize(() => {
        if (!settled) checkpointer.abandoned(stream, shardId, call$);
      }),
    );
  }).pipe(
    retryWithBackoff({ ...options.retry, scheduler }, { shouldRetry: () => true, onRetry: (err) => report(asStateStoreError(err, 'acquireShard')) }),
    mergeMap((state) => (state ? of(state) : throwError(() => NOT_TAKEN))),
    retry({ delay: (err: unknown) => (err === NOT_TAKEN ? timer(acquireRetryInterval(options.syncInterval), scheduler) : throwError(() => err)) }),
  );

  // If this client is still releasing the shard (it left and came back), let that finish first.
  return concat(checkpointer.settled$(stream, shardId), attempt$);
}
