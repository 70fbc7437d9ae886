import { catchError, concatMap, forkJoin, map, of, type Observable } from 'rxjs';
import { asStateStoreError } from '../errors.js';
import { inRange, pageRange, shardPages } from '../state-store/shard-pages.js';
import type { CachedShard, ShardIdRange, ShardState } from '../state-store/state-store.js';
import type { StreamReading } from './group-view.js';
import { readStream } from './read-stream.js';
import { snapshotOf, type StreamSnapshot } from './shard-lineage.js';
import type { ShardListSource } from './shard-list.js';
import { digestPages, snapshotDigest } from './snapshot-digest.js';

/**
 * A follower's read of only some pages of a stream of many pages: those pages of the shard cache
 * (one GetItem each) and the shard states of their ranges of ids (one Query each), put together
 * with the rest of `cached`. A page whose first id moved also moves the end of the page before
 * it, whose states are then read again too. What comes out is used only when its digest is the
 * leader's (`leaderDigest`): pages read at different times may come from different updates, and
 * a snapshot put together from them could miss a shard that moved between pages. Otherwise, and
 * when a page is missing (the leader is rewriting the cache), the stream is read whole, as
 * {@link readStream} does. Failures are reported and read as `undefined`.
 *
 * ## Example
 * ```ts
 * import { readPages } from './read-pages.js';
 * readPages(source, 'orders', cached, [3], leaderDigest).subscribe((snapshot) => console.log(snapshot?.shards.length));
 * ```
 */
export function readPages(source: ShardListSource, stream: string, cached: StreamSnapshot, pages: readonly number[], leaderDigest: string): Observable<StreamReading> {
  const { app, store, call, report } = source;
  const whole = (): Observable<StreamReading> => readStream(source, stream, false);
  const getPage = store.getShardPage?.bind(store);
  if (getPage === undefined) return whole();
  const count = digestPages(leaderDigest)?.length ?? 0;
  if (count === 0) return whole();
  return forkJoin(pages.map((page) => call('getShardPage', () => getPage(app, stream, page)))).pipe(
    concatMap((read) => {
      if (read.some((p) => p === undefined)) return whole();
      const own = shardPages(cached.shards);
      const fresh = new Map(pages.map((page, i) => [page, read[i]!]));
      const next: CachedShard[][] = [];
      for (let i = 0; i < count; i++) {
        const page = fresh.get(i) ?? own[i];
        if (page === undefined) return whole();
        next.push(page);
      }
      const firstIds = next.map((p) => p[0]?.id);
      const ownFirst = own.map((p) => p[0]?.id);
      const again = new Set(pages);
      for (const page of pages) if (page > 0 && firstIds[page] !== ownFirst[page]) again.add(page - 1);
      const ranges = [...again].sort((a, b) => a - b).map((page) => pageRange(firstIds, page));
      return forkJoin(ranges.map((range) => call('listShardStates', () => store.listShardStates(app, stream, range)))).pipe(
        map((lists): StreamReading => {
          const shards = next.flat();
          const kept = [...cached.states.values()].filter((s) => !ranges.some((r) => inRange(s.shardId, r)));
          const states: ShardState[] = [...kept, ...lists.flatMap((list, i) => list.filter((s) => inRange(s.shardId, ranges[i] as ShardIdRange)))];
          const { stale: _stale, ...snapshot } = snapshotOf(shards, states);
          return snapshotDigest(snapshot) === leaderDigest ? snapshot : null;
        }),
        concatMap((snapshot) => (snapshot === null ? whole() : of(snapshot))),
      );
    }),
    catchError((err: unknown) => {
      report(asStateStoreError(err, 'shard list'));
      return of(undefined);
    }),
  );
}
