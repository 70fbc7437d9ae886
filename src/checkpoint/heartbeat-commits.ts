import { EMPTY, Observable, defer, from, mergeMap, type SchedulerLike } from 'rxjs';
import { StateStoreError } from '../errors.js';
import type { MetricsRecorder } from '../metrics/metrics-recorder.js';
import { encodePosition } from '../position.js';
import { answerWithin } from '../retry.js';
import type { Heartbeat, HeartbeatCheckpoints, HeartbeatSeeks, HeartbeatStats, StateStore } from '../state-store/state-store.js';
import type { RetainedMark } from './retained-marks.js';
import type { ShardProgress } from './shard-progress.js';

/** What a heartbeat commit needs. */
export interface HeartbeatCommitOptions {
  app: string;
  clientId: string;
  store: Required<Pick<StateStore, 'heartbeat'>>;
  scheduler: SchedulerLike;
  /** Time allowed for the heartbeat, ms. */
  timeout: number;
  recorder?: MetricsRecorder | undefined;
  /** The shard stats the heartbeat carries. */
  stats?: HeartbeatStats | undefined;
  /** Marks of shards no longer tracked, carried where no tracked shard has a mark ({@link RetainedMarks}). */
  retained?: Iterable<RetainedMark> | undefined;
}

/**
 * Writes this client's heartbeat carrying the marks of `progresses` (one write commits them all),
 * from the leader `digests`, and the shard stats. Once it landed, each carried position counts as
 * committed. Emits nothing; fails as the store call fails.
 */
export function writeHeartbeat$(
  progresses: Iterable<ShardProgress>,
  digests: Record<string, string> | undefined,
  options: HeartbeatCommitOptions,
): Observable<never> {
  const { app, clientId, store, scheduler, recorder } = options;
  return defer(() => {
    const startedAt = scheduler.now();
    const checkpoints: HeartbeatCheckpoints = {};
    const seeks: HeartbeatSeeks = {};
    const carried: { progress: ShardProgress; position: string; reached: number; sequenceNumber: string }[] = [];
    for (const progress of progresses) {
      const position = progress.beatPosition;
      if (position === undefined) continue;
      (checkpoints[progress.stream] ??= {})[progress.shardId] = position;
      if (progress.seek > 0) (seeks[progress.stream] ??= {})[progress.shardId] = progress.seek;
      carried.push({ progress, position: encodePosition(position), reached: progress.reached, sequenceNumber: position.sequenceNumber });
    }
    for (const { stream, shardId, position, seek } of options.retained ?? []) {
      const byShard = (checkpoints[stream] ??= {});
      if (byShard[shardId] !== undefined) continue;
      byShard[shardId] = position;
      if (seek > 0) (seeks[stream] ??= {})[shardId] = seek;
    }
    const heartbeat: Heartbeat = { checkpoints };
    if (Object.keys(seeks).length > 0) heartbeat.seeks = seeks;
    if (digests !== undefined) heartbeat.digests = digests;
    if (options.stats !== undefined && Object.keys(options.stats).length > 0) heartbeat.stats = options.stats;
    return from(store.heartbeat(app, clientId, new Date(startedAt), heartbeat)).pipe(
      answerWithin(options.timeout, scheduler, (message) => new StateStoreError('heartbeat', message, { retriable: true })),
      mergeMap(() => {
        for (const { progress, position, reached, sequenceNumber } of carried) {
          const committed = progress.beatLanded(position, reached);
          if (committed > 0) recorder?.committed(progress.stream, progress.shardId, committed, sequenceNumber, scheduler.now() - startedAt);
        }
        return EMPTY;
      }),
    );
  });
}
