/**
 * The facade's operator controls, kept out of it: what `consumer.paused$` says (the shards this
 * client owns whose reading is paused now, updated when the assignment or the pause rules change;
 * each owned shard that becomes paused or resumed is also an event, `shardPaused` / `shardResumed`),
 * what `owned$` says, the checks of `pause()` / `resume()`'s arguments, and `consumer.seek()`.
 */
import { BehaviorSubject, combineLatest, startWith, type Observable } from 'rxjs';
import { ClosedError, UsageError } from '../errors.js';
import { applySeek, prepareSeek, type SeekOptions, type SeekPosition, type SeekResult } from '../group/seek-group.js';
import type { KinesumerEvent } from '../metrics/metrics.js';
import type { Assignment } from '../group/group-view.js';
import type { PauseControl } from '../shard/pause-control.js';
import { assignmentKeys, sameAssignment, splitKey, withShard } from './assignment-keys.js';
import type { KinesumerParts } from './kinesumer-parts.js';

/**
 * Follows the paused shards among the owned ones.
 *
 * @param assignment$ The shards this client owns (completes when the consumer closes).
 * @param pause The pause rules.
 * @param emit Where `shardPaused` and `shardResumed` events go.
 * @returns The paused owned shards, per stream; completes with `assignment$`.
 */
export function trackPaused(
  assignment$: Observable<Assignment>,
  pause: PauseControl,
  emit: (event: { type: 'shardPaused' | 'shardResumed'; stream: string; shardId: string }) => void,
): BehaviorSubject<Assignment> {
  const paused = new BehaviorSubject<Assignment>({});
  combineLatest([assignment$, pause.changes$.pipe(startWith(undefined))]).subscribe({
    next: ([assignment]) => {
      const before = new Set(assignmentKeys(paused.value));
      const owned = new Set(assignmentKeys(assignment));
      const now = pause.pausedOf(assignment);
      const after = new Set(assignmentKeys(now));
      for (const key of after) if (!before.has(key)) emit({ type: 'shardPaused', ...shard(key) });
      // resumed, not assigned away: a shard that left this client is no event of its own
      for (const key of before) if (!after.has(key) && owned.has(key)) emit({ type: 'shardResumed', ...shard(key) });
      if (!sameAssignment(now, paused.value)) paused.next(now);
    },
    complete: () => paused.complete(),
  });
  return paused;
}

function shard(key: string): { stream: string; shardId: string } {
  const [stream, shardId] = splitKey(key);
  return { stream, shardId };
}

const STREAM_NAME = /^[a-zA-Z0-9_.-]{1,128}$/;
const STREAM_ARN = /^arn:aws[a-z-]*:kinesis:[a-z0-9-]+:\d{12}:stream\/([a-zA-Z0-9_.-]{1,128})$/;

/**
 * The stream (as a name) and shard ids of a `pause()` / `resume()` call, checked.
 * @throws UsageError (`INVALID_PAUSE`) naming what is wrong; ClosedError once the consumer is `closing`.
 */
export function pauseArguments(operation: string, stream: unknown, shardIds: unknown, closing = false): [string | undefined, string[] | undefined] {
  if (closing) throw new ClosedError(operation);
  if (stream === undefined) {
    if (shardIds !== undefined) throw new UsageError(`${operation}: shard ids need a stream: ${operation}(stream, shardIds)`, 'INVALID_PAUSE');
    return [undefined, undefined];
  }
  const name = typeof stream === 'string' ? (STREAM_ARN.exec(stream)?.[1] ?? (STREAM_NAME.test(stream) ? stream : undefined)) : undefined;
  if (name === undefined) throw new UsageError(`${operation}: ${JSON.stringify(stream)} is not a Kinesis stream name or ARN`, 'INVALID_PAUSE');
  if (shardIds === undefined) return [name, undefined];
  if (!Array.isArray(shardIds) || shardIds.some((id) => typeof id !== 'string' || id === '')) {
    throw new UsageError(`${operation}: shard ids must be an array of shard id strings, not ${JSON.stringify(shardIds)}`, 'INVALID_PAUSE');
  }
  return [name, [...new Set(shardIds as string[])]];
}

/** Keeps `owned` (what `owned$` replays) up to date from the takes, releases and losses the shard sessions and the checkpointer report. */
export function trackOwned(events$: Observable<KinesumerEvent>, owned: BehaviorSubject<Assignment>): void {
  events$.subscribe((event) => {
    if (event.type === 'shardAcquired') owned.next(withShard(owned.value, event.stream, event.shardId, true));
    else if (event.type === 'shardReleased' || event.type === 'shardLost') owned.next(withShard(owned.value, event.stream, event.shardId, false));
  });
}

/**
 * `consumer.seek()`: {@link prepareSeek} and {@link applySeek} with the consumer's store and Kinesis,
 * a timestamp checked against its scheduler's clock.
 * @throws ClosedError once the consumer is `closing`; as `seekGroup` otherwise.
 */
export async function seekFrom(parts: KinesumerParts, stream: string, to: SeekPosition, options: Omit<SeekOptions, 'now'>, closing: boolean): Promise<SeekResult> {
  if (closing) throw new ClosedError('seek()');
  const deps = { app: parts.config.app, store: parts.store, kinesis: parts.kinesis };
  return applySeek(deps, await prepareSeek(deps, stream, to, { ...options, now: new Date(parts.config.scheduler.now()) }));
}
