/**
 * Who may take a shard, and what the take writes: the rule of {@link StateStore.acquireShard},
 * decided here once for both stores. The memory store applies the decision; the DynamoDB store
 * decides on what it read and writes on condition that the item is still what it read.
 */
import { isStale, ownProgress } from '../group/shard-lineage.js';
import { wholeRecordBefore, type Position } from '../position.js';
import { isAlive } from './client-liveness.js';
import { takeoverPosition } from './heartbeat-checkpoints.js';
import { takeChange, type ShardChange } from './shard-change.js';
import type { AcquireRequest, HeartbeatCheckpoints, HeartbeatSeeks, ShardState } from './state-store.js';

/** The last heartbeat of a shard's holder, read when the take is decided. */
export interface HolderHeartbeat {
  lastUpdate: Date;
  /** The checkpoints that heartbeat carried (stores with {@link StateStore.heartbeat}). */
  checkpoints?: HeartbeatCheckpoints;
  /** The `seek` each of them was made under. */
  seeks?: HeartbeatSeeks;
}

/** A take the rule allows, and what it was decided on. */
export interface Take {
  /** The stored state as this shard may use it ({@link ownProgress}); `undefined`: there was none. */
  readonly seen: ShardState | undefined;
  /** The stored progress was written for an older shard of that id, and the take removes it. */
  readonly stale: boolean;
  /** The previous holder's heartbeat position the taker starts after, when it is further on. */
  readonly ahead: Position | undefined;
  /** What the take writes. */
  readonly change: ShardChange;
}

/**
 * The client whose heartbeat decides a take of `stored`: its holder, or `undefined` when no
 * heartbeat is needed (nobody holds it, or it is finished and nobody may take it).
 */
export function holderToAsk(stored: ShardState | undefined, shardStart: string | undefined): string | undefined {
  if (stored === undefined) return undefined;
  const seen = ownProgress(stored, shardStart);
  return seen.finished ? undefined : seen.owner;
}

/**
 * Decides a take of a shard. The shard may be taken when it has no state, or, with its progress
 * as this shard may use it ({@link ownProgress}: an older shard's checkpoint and finished mark do
 * not count, its owner does), when it is not finished and it is free, already the taker's, or
 * held by a client that is not alive by its own last heartbeat. Taken from a holder (a dead one,
 * or the taker itself, restarted), it starts after the holder's heartbeat position when that is
 * further on and was made under the stored `seek` ({@link takeoverPosition}).
 *
 * ## Example
 * ```ts
 * import { decideTake } from './take-decision.js';
 * const take = decideTake(stored, { clientId: 'b', aliveSince, shardStart, now }, ownerHeartbeat, 'orders');
 * if (take !== undefined) write(take.change);
 * ```
 * @param stored The shard's stored state, if it has one.
 * @param request The take: who, when, who counts as alive, the shard's start.
 * @param holder The last heartbeat of `stored.owner` (see {@link holderToAsk}), if it has one.
 * @param stream The shard's stream, to find the holder's heartbeat position.
 * @returns The take, or `undefined` when the shard is finished or a live client holds it.
 */
export function decideTake(
  stored: ShardState | undefined,
  request: AcquireRequest,
  holder: HolderHeartbeat | undefined,
  stream: string,
): Take | undefined {
  if (stored === undefined) return { seen: undefined, stale: false, ahead: undefined, change: takeChange(request) };
  const stale = isStale(stored, request.shardStart);
  const seen = ownProgress(stored, request.shardStart);
  if (seen.finished) return undefined;
  const heartbeat = seen.owner === undefined ? undefined : holder;
  if (seen.owner !== request.clientId && heartbeat !== undefined && isAlive(heartbeat.lastUpdate, request.aliveSince)) return undefined;
  const ahead = takeoverPosition(heartbeat?.checkpoints?.[stream]?.[seen.shardId], seen, request.shardStart, heartbeat?.seeks?.[stream]?.[seen.shardId]);
  // A heartbeat does not carry kinesumer's checkpoint inside an aggregate; the stored state tells one.
  const preceding = ahead?.subSequenceNumber === undefined ? undefined : wholeRecordBefore(ahead.sequenceNumber, seen, request.shardStart ?? seen.shardStart);
  return { seen, stale, ahead, change: takeChange(request, ahead, stale, preceding) };
}
