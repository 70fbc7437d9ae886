/**
 * What a heartbeat carries besides the time, for stores that support it
 * ({@link StateStore.heartbeat}): the client's checkpoints of the shards it holds, and, from the
 * leader, a digest of each stream's shard list and shard states.
 *
 * Carrying checkpoints in the heartbeat makes a commit of every held shard one write (the write
 * the heartbeat makes anyway) instead of one fenced write per shard; the checkpoint items are
 * brought up to date less often (`commit.itemInterval`), when a shard is released or finished,
 * and on close. Nothing is lost by that: a client that takes a shard over from a dead owner
 * starts from the owner's heartbeat checkpoint when that is further on than the item's, and the
 * leader writes a dead client's heartbeat checkpoints to the items it still owns before it
 * removes the client.
 */
import { compareSequenceNumbers, isAfterPosition, type Position } from '../position.js';
import type { CachedShard, ClientHeartbeat, ShardState } from './state-store.js';

export type { Position } from '../position.js';

/** Checkpoints in a heartbeat: stream → shard id → position. */
export type HeartbeatCheckpoints = Record<string, Record<string, Position>>;

/** What {@link StateStore.heartbeat} writes next to the time. */
export interface Heartbeat {
  /** The checkpoints of the shards this client holds (those with a position). */
  checkpoints: HeartbeatCheckpoints;
  /**
   * Leader only: a digest of each stream's shard list and shard states, by stream. Followers read
   * a stream's list and states again only when its digest changed. Absent: removed from the item.
   */
  digests?: Record<string, string>;
}

/** An alive client as {@link StateStore.listGroup} gives it. */
export interface GroupMember {
  clientId: string;
  /** The digests its last heartbeat carried (see {@link Heartbeat.digests}). */
  digests?: Record<string, string>;
}

/**
 * The position a taker of a shard should start after: the previous owner's heartbeat position,
 * when it is further on than the stored checkpoint and written for this shard (not for an older
 * shard of the same id in a stream created again); otherwise `undefined` (the stored one stands).
 *
 * @param beat The previous owner's heartbeat position for the shard, if any.
 * @param stored The shard's stored state: its checkpoint and the shard start it was written for.
 * @param shardStart The shard's starting sequence number now, when known.
 */
export function takeoverPosition(
  beat: Position | undefined,
  stored: { sequenceNumber?: string | undefined; subSequenceNumber?: number | undefined; shardStart?: string | undefined },
  shardStart: string | undefined,
): Position | undefined {
  if (beat === undefined) return undefined;
  if (shardStart !== undefined) {
    if (stored.shardStart !== undefined && stored.shardStart !== shardStart) return undefined;
    if (compareSequenceNumbers(beat.sequenceNumber, shardStart) < 0) return undefined;
  }
  return isAfterPosition(beat.sequenceNumber, beat.subSequenceNumber, stored.sequenceNumber, stored.subSequenceNumber) ? beat : undefined;
}

/**
 * The states with each held shard's checkpoint taken from its owner's heartbeat where that is
 * further on (with heartbeat commits, the items are written less often than the heartbeats):
 * where a restarted group would resume. `shards`: the stream's shard list, to tell checkpoints of
 * an older shard of the same id.
 */
export function withHeartbeatCheckpoints(
  stream: string,
  shards: readonly CachedShard[],
  states: readonly ShardState[],
  heartbeats: readonly ClientHeartbeat[],
): ShardState[] {
  const byClient = new Map(heartbeats.map((h) => [h.clientId, h]));
  return states.map((state) => {
    const owner = state.owner === undefined ? undefined : byClient.get(state.owner);
    const start = shards.find((s) => s.id === state.shardId)?.startingSequenceNumber;
    const ahead = takeoverPosition(owner?.checkpoints?.[stream]?.[state.shardId], state, start);
    if (ahead === undefined || owner === undefined) return state;
    const { subSequenceNumber: _stored, ...rest } = state;
    return {
      ...rest,
      sequenceNumber: ahead.sequenceNumber,
      ...(ahead.subSequenceNumber === undefined ? {} : { subSequenceNumber: ahead.subSequenceNumber }),
      lastUpdate: owner.lastUpdate,
    };
  });
}

