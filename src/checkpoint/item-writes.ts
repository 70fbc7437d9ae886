import { EMPTY, Observable, catchError, defer, from, map, merge, mergeMap, of, type SchedulerLike } from 'rxjs';
import { CheckpointError, ShardLostError, StateStoreError, describeCause, type KinesumerError } from '../errors.js';
import type { MetricsRecorder } from '../metrics/metrics-recorder.js';
import { answerWithin } from '../retry.js';
import type { ShardState, StateStore } from '../state-store/state-store.js';
import type { ShardProgress } from './shard-progress.js';

/** What the fenced item writes need. */
export interface ItemWriteOptions {
  app: string;
  clientId: string;
  store: Pick<StateStore, 'commitShard' | 'listShardStates'>;
  scheduler: SchedulerLike;
  /** Time allowed for one store call, ms. */
  timeout: number;
  report: (err: KinesumerError) => void;
  recorder?: MetricsRecorder | undefined;
  /** The write recorded the shard finished: its children may be read now. */
  onFinished: (progress: ShardProgress) => void;
  /** The write found another owner: the shard is lost. */
  onLost: (progress: ShardProgress) => void;
}

/**
 * Writes each shard's checkpoint item with a fenced write: applied only while this client holds
 * the shard and the stored checkpoint is the one it last saw, so a checkpoint never moves
 * backwards and a stale owner cannot overwrite a newer one. A failed condition is a lost shard,
 * unless the stored checkpoint is one of this client's own writes whose answer was lost (then the
 * write is made again, once). Emits nothing; never errors: failures are reported and the marks
 * are kept for the next write.
 */
export function writeItems$(progresses: readonly ShardProgress[], options: ItemWriteOptions): Observable<never> {
  return merge(...progresses.map((progress) => writeItem$(progress, options)));
}

function writeItem$(progress: ShardProgress, options: ItemWriteOptions): Observable<never> {
  const { app, clientId, store, scheduler, report, recorder } = options;
  const { stream, shardId } = progress;
  return defer(() => {
    const now = new Date(scheduler.now());
    const commit = progress.itemCommit();
    const startedAt = scheduler.now();
    return defer(() =>
      from(
        store.commitShard(app, stream, shardId, {
          clientId,
          sequenceNumber: commit.sequenceNumber,
          subSequenceNumber: commit.subSequenceNumber,
          precedingSequenceNumber: commit.precedingSequenceNumber,
          previous: commit.previous,
          finished: commit.finishing,
          now,
        }),
      ),
    ).pipe(
      answerWithin<boolean>(options.timeout, scheduler, (message) => new StateStoreError('commitShard', message, { retriable: true })),
      mergeMap((applied) => {
        if (applied) {
          const landed = progress.itemWritten(commit);
          if (landed.committed !== undefined) recorder?.committed(stream, shardId, landed.committed, commit.sequenceNumber, scheduler.now() - startedAt);
          if (landed.finished) options.onFinished(progress);
          return EMPTY;
        }
        return landedEarlier$(progress, options).pipe(
          mergeMap((landed) => {
            if (landed) return writeItem$(progress, options); // at most once: nothing is unconfirmed now
            recorder?.commitFailed(stream, shardId, true);
            report(new ShardLostError(stream, shardId));
            options.onLost(progress);
            return EMPTY;
          }),
        );
      }),
      catchError((err: unknown) => {
        recorder?.commitFailed(stream, shardId, false);
        progress.itemUnconfirmed(commit);
        report(new CheckpointError(stream, [shardId], describeCause(err), { cause: err }));
        return EMPTY;
      }),
    );
  });
}

/**
 * After a fenced write failed: whether the stored checkpoint is one of this client's writes whose
 * answer was lost, with this client still the owner. Then the shard was never lost.
 */
function landedEarlier$(progress: ShardProgress, options: ItemWriteOptions): Observable<boolean> {
  const { app, clientId, store, scheduler } = options;
  if (!progress.hasUnconfirmed) return of(false);
  return defer(() => from(store.listShardStates(app, progress.stream))).pipe(
    answerWithin<ShardState[]>(options.timeout, scheduler, (message) => new StateStoreError('listShardStates', message, { retriable: true })),
    map((states) => {
      const state = states.find((s) => s.shardId === progress.shardId);
      return progress.landedEarlier(state?.owner === clientId ? state.sequenceNumber : undefined);
    }),
  );
}
