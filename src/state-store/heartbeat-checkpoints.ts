/**
 * The rules for checkpoints carried in heartbeats ({@link StateStore.heartbeat}): when a shard's
 * taker, or the leader pruning a dead client, uses a heartbeat position instead of the stored
 * checkpoint, and how the stream → shard → position maps are walked.
 */
import { compareSequenceNumbers, isAfterPosition, wholeRecordBefore, type Position } from '../position.js';
import { applyShardChange, positionChange, type ShardChange } from './shard-change.js';
import type { CachedShard, ClientHeartbeat, ShardState } from './state-store.js';

export type { GroupMember, Heartbeat, HeartbeatCheckpoints, Position } from './state-store.js';

/**
 * The position a taker of a shard should start after: the previous owner's heartbeat position,
 * when it is further on than the stored checkpoint, was made under the stored `seek` (after a
 * seek, marks made before it never win, however far on they are) and written for this shard (not
 * for an older shard of the same id in a stream created again); otherwise `undefined` (the stored
 * one stands).
 *
 * @param beat The previous owner's heartbeat position for the shard, if any.
 * @param stored The shard's stored state: its checkpoint, its `seek` and the shard start it was written for.
 * @param shardStart The shard's starting sequence number now, when known.
 * @param beatSeek The `seek` the heartbeat position was made under (absent: 0).
 */
export function takeoverPosition(
  beat: Position | undefined,
  stored: { sequenceNumber?: string | undefined; subSequenceNumber?: number | undefined; shardStart?: string | undefined; seek?: number | undefined },
  shardStart: string | undefined,
  beatSeek?: number,
): Position | undefined {
  if (beat === undefined) return undefined;
  if ((beatSeek ?? 0) !== (stored.seek ?? 0)) return undefined;
  if (shardStart !== undefined) {
    if (stored.shardStart !== undefined && stored.shardStart !== shardStart) return undefined;
    if (compareSequenceNumbers(beat.sequenceNumber, shardStart) < 0) return undefined;
  }
  return isAfterPosition(beat.sequenceNumber, beat.subSequenceNumber, stored.sequenceNumber, stored.subSequenceNumber) ? beat : undefined;
}

/**
 * What pruning `clientId` writes to a shard it still holds, from its heartbeat `position` for
 * that shard: the position, when it is further on than `state`'s checkpoint ({@link
 * takeoverPosition}, against the shard start the state was written for, made under the stored
 * `seek`: `beatSeek`); `undefined` when the client does not hold the shard or the stored
 * checkpoint stands.
 */
export function pruneTakeover(clientId: string, position: Position, state: ShardState, beatSeek?: number): ShardChange | undefined {
  if (state.owner !== clientId) return undefined;
  const ahead = takeoverPosition(position, state, state.shardStart, beatSeek);
  return ahead === undefined ? undefined : positionChange(ahead, undefined, precedingOf(ahead, state, state.shardStart));
}

/** kinesumer's checkpoint for a heartbeat position taken over from `state` (inside an aggregate only; see `wholeRecordBefore`). */
function precedingOf(ahead: Position, state: ShardState, shardStart: string | undefined): string | undefined {
  return ahead.subSequenceNumber === undefined ? undefined : wholeRecordBefore(ahead.sequenceNumber, state, shardStart);
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
    const ahead = takeoverPosition(owner?.checkpoints?.[stream]?.[state.shardId], state, start, owner?.seeks?.[stream]?.[state.shardId]);
    if (ahead === undefined || owner === undefined) return state;
    return applyShardChange(state, positionChange(ahead, owner.lastUpdate, precedingOf(ahead, state, start ?? state.shardStart)));
  });
}

/** Every entry of a stream → shard id → value map, such as a heartbeat's checkpoints. */
export function* shardEntries<A>(byStream: Readonly<Record<string, Readonly<Record<string, A>>>>): Generator<[stream: string, shardId: string, value: A]> {
  for (const [stream, shards] of Object.entries(byStream)) {
    for (const [shardId, value] of Object.entries(shards)) yield [stream, shardId, value];
  }
}

/**
 * A stream → shard id → value map with every value mapped by `f`; entries `f` maps to
 * `undefined` are left out, and so are streams left without entries.
 */
export function mapShardEntries<A, B>(
  byStream: Readonly<Record<string, Readonly<Record<string, A>>>>,
  f: (value: A, stream: string, shardId: string) => B | undefined,
): Record<string, Record<string, B>> {
  const out: Record<string, Record<string, B>> = {};
  for (const [stream, shardId, value] of shardEntries(byStream)) {
    const mapped = f(value, stream, shardId);
    if (mapped !== undefined) (out[stream] ??= {})[shardId] = mapped;
  }
  return out;
}
