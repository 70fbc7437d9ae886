/**
 * Shards the store says this client holds that it neither reads nor was assigned: left by an
 * earlier run of this client under the same id (it was SIGKILLed and started again before the
 * others counted it dead), or by a release that could not be written. Nobody else may take them
 * while this client is alive, so this client frees them itself, after writing the marks its
 * heartbeats still carry for them ({@link RetainedMarks}) into the item: whoever takes the shard
 * next starts after them.
 */
import { EMPTY, Observable, catchError, concat, defer, from, ignoreElements } from 'rxjs';
import { asStateStoreError, type KinesumerError } from '../errors.js';
import { isAfterPosition } from '../position.js';
import type { ShardState, StateStore } from '../state-store/state-store.js';
import type { RetainedMark } from './retained-marks.js';

/** What freeing a stray shard needs. */
export interface StrayRelease {
  app: string;
  clientId: string;
  store: Pick<StateStore, 'commitShard' | 'releaseShard'>;
  now: () => number;
  report: (err: KinesumerError) => void;
  /** Bounds every store call (the checkpointer's call timeout). */
  call: <T>(operation: string) => (source: Observable<T>) => Observable<T>;
}

/**
 * Writes `mark` (when it is further on than the stored checkpoint and made under the stored
 * `seek`) with a fenced write, then frees the shard. Never errors; failures are reported, and
 * the next sync round tries again.
 */
export function releaseStray$(stream: string, state: ShardState, mark: RetainedMark | undefined, options: StrayRelease): Observable<never> {
  const { app, clientId, store, report, call } = options;
  const { shardId } = state;
  const ahead =
    mark !== undefined &&
    mark.position.subSequenceNumber === undefined && // (inside an aggregate: the taker's heartbeat read covers it)
    mark.seek === (state.seek ?? 0) &&
    isAfterPosition(mark.position.sequenceNumber, undefined, state.sequenceNumber, state.subSequenceNumber);
  const write$ = defer(() =>
    ahead
      ? from(
          store.commitShard(app, stream, shardId, {
            clientId,
            sequenceNumber: mark.position.sequenceNumber,
            previous: state.sequenceNumber,
            finished: false,
            now: new Date(options.now()),
            seek: mark.seek,
          }),
        ).pipe(call<boolean>('commitShard'))
      : EMPTY,
  );
  const release$ = defer(() => from(store.releaseShard(app, stream, shardId, clientId))).pipe(call<void>('releaseShard'));
  return concat(write$, release$).pipe(
    ignoreElements(),
    catchError((err: unknown) => {
      report(asStateStoreError(err, 'releaseShard'));
      return EMPTY;
    }),
  );
}
