import { Observable, defer, finalize, merge, mergeMap, take, takeUntil, tap, timer } from 'rxjs';
import type { Checkpointer } from '../checkpoint/checkpointer.js';
import type { InitialPosition } from '../config/kinesumer-config.js';
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
 * 5. **release**: when the subscriber leaves (the shard was assigned away, or the group stops),
 *    write its marks and free it in the store, unless `close()` does that for every shard.
 *
 * @returns The shard's records, one array per page, in order.
 */
export function shardSession(stream: string, shardId: string, options: ShardSessionOptions): Observable<KinesumerRecord[]> {
  const { checkpointer, recorder, report, scheduler } = options;
  const isClosed = () => options.snapshot()?.shards.find((s) => s.id === shardId)?.closed === true;

  const session = (): Observable<KinesumerRecord[]> =>
    defer(() => {
      // until it is taken, this client's heartbeat says it waits for the shard
      recorder.taking(stream, shardId, true);
      return acquireShard$(stream, shardId, options);
    }).pipe(
      mergeMap((state) => {
        const { start, resumeAfter, resumeSub } = startPosition(stream, state, options.snapshot(), options.initialPosition, report);
        const progress = checkpointer.open(stream, shardId, state.sequenceNumber, resumeAfter, resumeSub);
        recorder.acquired(stream, shardId);
        const read$ = shardReader(progress, start, { ...options, isClosed }).pipe(
          tap({ complete: () => checkpointer.ended(progress) }),
          takeUntil(progress.lost$),
        );
        const again$ = progress.lost$.pipe(
          take(1),
          tap(() => recorder.left(stream, shardId, 'shardLost')),
          mergeMap(() => timer(acquireRetryInterval(options.syncInterval), scheduler)),
          mergeMap(session),
        );
        return merge(read$, again$);
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
