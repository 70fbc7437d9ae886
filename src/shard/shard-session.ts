import { EMPTY, Observable, defer, filter, finalize, ignoreElements, merge, mergeMap, of, take, takeUntil, tap, timer } from 'rxjs';
import type { Checkpointer } from '../checkpoint/checkpointer.js';
import type { InitialPosition } from '../config/kinesumer-config.js';
import type { StreamSnapshot } from '../group/shard-lineage.js';
import type { KinesumerRecord } from '../record.js';
import { acquireRetryInterval, acquireShard$, type AcquireShardOptions } from './acquire-shard.js';
import { shardReader, type ShardReaderDeps } from './shard-reader.js';
import { startPosition } from './start-position.js';

/** What a shard session needs. */
export interface ShardSessionOptions extends AcquireShardOptions, Omit<ShardReaderDeps, 'isClosed'> {
  checkpointer: Checkpointer;
  initialPosition: InitialPosition;
  /** Whether the consumer is closing: then `close()` commits and frees every shard itself. */
  isStopping: () => boolean;
  /** The stream's snapshot after every sync round (a seek shows there as a newer `seek`). Default: none. */
  snapshots$?: Observable<StreamSnapshot>;
  /** Whether the shard is assigned to this client in the last sync round. Default: yes. */
  assigned?: () => boolean;
}

/**
 * One shard assigned to this client, from the moment it is assigned until it is assigned away:
 *
 * 1. **take**: acquire it in the state store ({@link acquireShard$}), waiting while another live
 *    client still holds it;
 * 2. **start**: choose where to read from its state ({@link startPosition}) and start tracking its
 *    progress;
 * 3. **read**: deliver its records ({@link shardReader}) until the shard ends, when it is recorded
 *    finished once its last record is marked;
 * 4. **lost**: if a fenced write shows another client holds it, stop at once, and take it again
 *    shortly for as long as it stays assigned;
 * 4b. **sought**: when a sync round (or a refused write) shows its `seek` grew, stop at once,
 *    without draining or writing marks, and take it again at once if it is still assigned, or free
 *    it; a shard taken with a seek no round has shown yet is read (from the seek's target) only
 *    once one does and still assigns it, so that parents are read again before their children;
 * 5. **release**: when the subscriber leaves (the shard was assigned away, or the group stops),
 *    write its marks and free it in the store, unless `close()` does that for every shard.
 *
 * @returns The shard's records, one array per page, in order.
 */
export function shardSession(stream: string, shardId: string, options: ShardSessionOptions): Observable<KinesumerRecord[]> {
  const { checkpointer, recorder, report, scheduler } = options;
  const isClosed = () => options.snapshot()?.shards.find((s) => s.id === shardId)?.closed === true;

  // Taken with a seek that the round which assigned the shard had not seen (it landed in between,
  // or a refused write told of it): read only once a round shows that seek and still assigns the
  // shard, since its parents may have to be read again first. Until then it is held, not read.
  const confirmed$ = (seek: number): Observable<unknown> => {
    const known = options.snapshot()?.states.get(shardId)?.seek ?? 0;
    if (seek <= known || options.snapshots$ === undefined) return of(undefined);
    return options.snapshots$.pipe(
      filter((snapshot) => (snapshot.states.get(shardId)?.seek ?? 0) >= seek),
      take(1),
      filter(() => options.assigned?.() !== false),
    );
  };

  const session = (): Observable<KinesumerRecord[]> =>
    defer(() => {
      // until it is taken, this client's heartbeat says it waits for the shard
      recorder.taking(stream, shardId, true);
      return acquireShard$(stream, shardId, options);
    }).pipe(
      mergeMap((state) => {
        const snapshot = options.snapshot();
        const { start, resumeAfter, resumeSub, resumePreceding } = startPosition(stream, state, snapshot, options.initialPosition, report);
        const shardStart = snapshot?.shards.find((s) => s.id === shardId)?.startingSequenceNumber ?? state.shardStart;
        const progress = checkpointer.open(stream, shardId, state.sequenceNumber, resumeAfter, resumeSub, { storedPreceding: resumePreceding, shardStart }, state.seek ?? 0);
        recorder.acquired(stream, shardId);
        const read$ = confirmed$(state.seek ?? 0).pipe(
          // only the reader's own completion is the shard's end
          mergeMap(() => shardReader(progress, start, { ...options, isClosed }).pipe(tap({ complete: () => checkpointer.ended(progress) }))),
          takeUntil(progress.lost$),
        );
        // a round that shows a newer seek than the one this reading started from
        const sought$ = (options.snapshots$ ?? EMPTY).pipe(
          filter((snapshot) => (snapshot.states.get(shardId)?.seek ?? 0) > progress.seek),
          take(1),
          tap(() => checkpointer.sought(progress)),
          ignoreElements(),
        );
        const again$ = progress.lost$.pipe(
          take(1),
          mergeMap(() => {
            if (!progress.sought) {
              recorder.left(stream, shardId, 'shardLost');
              return timer(acquireRetryInterval(options.syncInterval), scheduler).pipe(mergeMap(session));
            }
            recorder.emit({ type: 'shardSought', stream, shardId });
            return options.assigned?.() === false ? EMPTY : session();
          }),
        );
        return merge(read$, again$, sought$.pipe(takeUntil(progress.lost$)));
      }),
    );

  return session().pipe(
    finalize(() => {
      recorder.taking(stream, shardId, false);
      // On close(), marks of records still in the user's pipeline must count: close() commits them.
      if (!options.isStopping()) checkpointer.release$(stream, shardId).subscribe();
    }),
  );
}
