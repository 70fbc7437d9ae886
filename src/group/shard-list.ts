import { catchError, concatMap, forkJoin, map, of, tap, throwError, type Observable, type SchedulerLike } from 'rxjs';
import { KinesisError, asKinesisError, asStateStoreError, type KinesumerError } from '../errors.js';
import type { KinesisApi, ShardDescription } from '../kinesis/kinesis-api.js';
import { answerWithin } from '../retry.js';
import type { CachedShard, StateStore } from '../state-store/state-store.js';
import type { LeaderShardCache } from './leader-shard-cache.js';
import type { StoreCall } from './store-call.js';

/** Where a round reads a stream's shard list and states from. */
export interface ShardListSource {
  app: string;
  store: StateStore;
  kinesis: KinesisApi;
  /** State-store calls (see {@link storeCall}). */
  call: StoreCall;
  /** How long ListShards may take, ms. */
  timeout: number;
  scheduler: SchedulerLike;
  /** Failures that do not fail the read go here. */
  report: (err: KinesumerError) => void;
}

/** The stream's shards from ListShards, sorted by id; failures are {@link KinesisError}s of `ListShards`. */
export function kinesisShardList(source: Pick<ShardListSource, 'kinesis' | 'timeout' | 'scheduler'>, stream: string): Observable<CachedShard[]> {
  return source.kinesis.listShards(stream).pipe(
    answerWithin(source.timeout, source.scheduler, (message) => new KinesisError('ListShards', stream, undefined, message, { retriable: true })),
    map((described) => described.map(toCachedShard).sort(byId)),
    catchError((err: unknown) => throwError(() => asKinesisError(err, 'ListShards', stream))),
  );
}

/**
 * The leader's shard list: ListShards, with the store's shard cache updated where it differs
 * (read at the same time, or, with `known`, recalled from what this leader last read or wrote).
 * A failed update is reported and the fresh list used anyway.
 */
export function leaderShardList(source: ShardListSource, stream: string, known?: LeaderShardCache): Observable<CachedShard[]> {
  const { app, store, call, report } = source;
  const recalled = known?.recall(stream);
  const cached$ =
    recalled !== undefined
      ? of(recalled)
      : call('getShards', () => store.getShards(app, stream)).pipe(tap((cached) => known?.remember(stream, cached === undefined ? undefined : [...cached])));
  return forkJoin([kinesisShardList(source, stream), cached$]).pipe(
    concatMap(([fresh, cached]) =>
      sameShards(fresh, cached)
        ? of(fresh)
        : call('updateShards', () => store.updateShards(app, stream, fresh)).pipe(
            tap(() => known?.remember(stream, fresh)),
            map(() => fresh),
            catchError((err: unknown) => {
              known?.forget(stream);
              report(asStateStoreError(err, 'updateShards'));
              return of(fresh);
            }),
          ),
    ),
  );
}

/** A follower's shard list: the leader's cache; before the leader wrote one, ListShards, as kinesumer does. */
export function followerShardList(source: ShardListSource, stream: string): Observable<CachedShard[]> {
  const { app, store, call } = source;
  return call('getShards', () => store.getShards(app, stream)).pipe(
    concatMap((cached) => (cached === undefined ? kinesisShardList(source, stream) : of(cached.slice().sort(byId)))),
  );
}

/** A ListShards description as the shard cache keeps it. */
export function toCachedShard(shard: ShardDescription): CachedShard {
  const cached: CachedShard = { id: shard.shardId, closed: shard.closed };
  if (shard.startingSequenceNumber) cached.startingSequenceNumber = shard.startingSequenceNumber;
  if (shard.parentShardId) cached.parentShardId = shard.parentShardId;
  if (shard.adjacentParentShardId) cached.adjacentParentShardId = shard.adjacentParentShardId;
  return cached;
}

/** Whether the cache `b` (in any order) says what the sorted list `a` says; `false` without a cache. */
export function sameShards(a: readonly CachedShard[], b: readonly CachedShard[] | undefined): boolean {
  if (b === undefined || a.length !== b.length) return false;
  const sortedB = b.slice().sort(byId);
  return a.every((s, i) => {
    const o = sortedB[i]!;
    return (
      s.id === o.id &&
      s.closed === o.closed &&
      s.parentShardId === o.parentShardId &&
      s.adjacentParentShardId === o.adjacentParentShardId &&
      s.startingSequenceNumber === o.startingSequenceNumber
    );
  });
}

function byId(a: CachedShard, b: CachedShard): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
