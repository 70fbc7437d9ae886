import { EMPTY, Observable, catchError, defer, from, map, merge, mergeMap, type SchedulerLike } from 'rxjs';
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
  /** The write found a newer `seek`: the shard was sought, and restarts. */
  onSought: (progress: ShardProgress) => void;
}

/**
 * Writes each shard's checkpoint item with a fenced write: applied only while this client holds
 * the shard and the stored checkpoint is the one it last saw, so a checkpoint never moves
 * backwards and a stale owner cannot overwrite a newer one. A failed condition is a lost shard,
 * unless the shard is still this client's and either the stored checkpoint is one of its own
 * writes whose answer was lost (then the write is made again, once) or a seek moved it (then it
 * restarts, quietly). Emits nothing; never errors: failures are reported and the marks are kept
 * for the next write.
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
          seek: commit.seek,
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
        return rejection$(progress, options).pipe(
          mergeMap((why) => {
            if (why === 'landed') return writeItem$(progress, options); // at most once: nothing is unconfirmed now
            if (why === 'sought') {
              options.onSought(progress);
              return EMPTY;
            }
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
 * After a fenced write failed, why, from the shard's state read now: `landed` when the stored
 * checkpoint is one of this client's writes whose answer was lost (with this client still the
 * owner: the shard was never lost), `sought` when this client still holds it and its `seek` grew
 * (a seek moved it), `lost` otherwise.
 */
function rejection$(progress: ShardProgress, options: ItemWriteOptions): Observable<'landed' | 'sought' | 'lost'> {
  const { app, clientId, store, scheduler } = options;
  return defer(() => from(store.listShardStates(app, progress.stream))).pipe(
    answerWithin<ShardState[]>(options.timeout, scheduler, (message) => new StateStoreError('listShardStates', message, { retriable: true })),
    map((states) => {
      const state = states.find((s) => s.shardId === progress.shardId);
      const mine = state?.owner === clientId;
      if (mine && progress.hasUnconfirmed && progress.landedEarlier(state.sequenceNumber)) return 'landed';
      if (mine && (state.seek ?? 0) > progress.seek) return 'sought';
      return 'lost';
    }),
  );
}
