import { EMPTY, catchError, concat, concatMap, forkJoin, ignoreElements, of, type Observable } from 'rxjs';
import { StreamNotFoundError, asStateStoreError } from '../errors.js';
import type { StreamReading } from './group-view.js';
import { removableStates, snapshotOf, staleCheckpointError } from './shard-lineage.js';
import type { LeaderShardCache } from './leader-shard-cache.js';
import { followerShardList, leaderShardList, type ShardListSource } from './shard-list.js';

/**
 * Reads one stream's shard list and shard states for a round (the leader's list from Kinesis, a
 * follower's from the leader's cache). The leader also reports stored checkpoints written for an
 * older shard of the same id, and deletes the states nobody needs (before any reader could see and
 * report them). Emits one {@link StreamReading}: a failure is reported and reads as `undefined`, a
 * stream that does not exist as `null`.
 *
 * ## Example
 * ```ts
 * import { readStream } from './read-stream.js';
 * readStream(source, 'orders', true).subscribe((snapshot) => console.log(snapshot?.shards));
 * ```
 *
 * @param source Where to read from.
 * @param stream The stream.
 * @param leader Whether this client leads the group this round.
 * @param known The leader's memory of the shard caches it read or wrote (see {@link LeaderShardCache}).
 */
export function readStream(source: ShardListSource, stream: string, leader: boolean, known?: LeaderShardCache): Observable<StreamReading> {
  const { app, store, call, report } = source;
  return forkJoin([
    leader ? leaderShardList(source, stream, known) : followerShardList(source, stream),
    call('listShardStates', () => store.listShardStates(app, stream)),
  ]).pipe(
    concatMap(([shards, states]) => {
      const snapshot = snapshotOf(shards, states);
      const { stale: _stale, ...current } = snapshot;
      if (!leader) return of(current);
      for (const state of states) {
        if (state.sequenceNumber !== undefined && snapshot.stale.includes(state.shardId)) {
          report(staleCheckpointError(stream, state, shards.find((s) => s.id === state.shardId)));
        }
      }
      const removable = removableStates(snapshot);
      const cleanup =
        removable.length === 0
          ? EMPTY
          : call('deleteShardStates', () => store.deleteShardStates(app, stream, removable)).pipe(
              ignoreElements(),
              catchError((err: unknown) => {
                report(asStateStoreError(err, 'deleteShardStates'));
                return EMPTY;
              }),
            );
      return concat(cleanup, of(current));
    }),
    catchError((err: unknown) => {
      report(asStateStoreError(err, 'shard list'));
      return of(err instanceof StreamNotFoundError ? null : undefined);
    }),
  );
}
