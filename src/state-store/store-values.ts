/**
 * The values both stores hand out, built the same way: without `undefined` fields (a field is
 * present or absent, never present and empty), and sorted in one order.
 */
import type { CachedShard, ShardState } from './state-store.js';

/** Code-unit order, the same in every store (DynamoDB's byte order differs only for astral characters). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders clients (heartbeats, group members) by id. */
export function byClientId(a: { clientId: string }, b: { clientId: string }): number {
  return compareStrings(a.clientId, b.clientId);
}

/** Orders shard states and checkpoints by shard id. */
export function byShardId(a: { shardId: string }, b: { shardId: string }): number {
  return compareStrings(a.shardId, b.shardId);
}

/** `value` without its `undefined` fields: a field is present or absent, never present and empty. */
export function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}

/** A {@link ShardState} of the known fields of `fields`, the `undefined` ones left out (dates are shared). */
export function shardStateOf(fields: ShardState): ShardState {
  const { shardId, sequenceNumber, subSequenceNumber, precedingSequenceNumber, owner, finished, shardStart, lastUpdate, seek, seekTo, seekAfter } = fields;
  return withoutUndefined({
    shardId,
    sequenceNumber,
    subSequenceNumber,
    precedingSequenceNumber,
    owner,
    finished,
    shardStart,
    lastUpdate,
    seek,
    seekTo,
    seekAfter: seekAfter === undefined ? undefined : { ...seekAfter },
  });
}

/** A {@link CachedShard} of the known fields of `fields`, the `undefined` ones left out. */
export function cachedShardOf(fields: CachedShard): CachedShard {
  const { id, closed, parentShardId, adjacentParentShardId, startingSequenceNumber } = fields;
  return withoutUndefined({ id, closed, parentShardId, adjacentParentShardId, startingSequenceNumber });
}
