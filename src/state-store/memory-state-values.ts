/** Helpers of the `MemoryStateStore`: copies in and out (it keeps no object a caller holds) and kinesumer's reading of a state. */
import type { Checkpoint, ShardState } from './state-store.js';
import { validDate } from './store-validation.js';
import { byShardId, shardStateOf } from './store-values.js';

/** The value of `key`, created first when missing. */
export function entry<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}

/** A copy of `date`, checked first (see `validDate`): the store keeps no object a caller holds. */
export function copyDate(operation: string, date: Date): Date {
  return new Date(validDate(operation, date).getTime());
}

/** A copy of a shard state. */
export function copyState(state: ShardState): ShardState {
  return shardStateOf({ ...state, lastUpdate: state.lastUpdate === undefined ? undefined : new Date(state.lastUpdate.getTime()) });
}

/**
 * The state's checkpoint as kinesumer reads it, as a list of zero or one (none when it has no
 * sequence number): inside an aggregate, the record before it (the DynamoDB item's `sequence_number`).
 */
export function toCheckpoints(state: ShardState): Checkpoint[] {
  const sequenceNumber = state.precedingSequenceNumber ?? state.sequenceNumber;
  if (sequenceNumber === undefined || state.lastUpdate === undefined) return [];
  return [{ shardId: state.shardId, sequenceNumber, lastUpdate: new Date(state.lastUpdate.getTime()) }];
}

/** Copies of the states, by shard id. */
export function sortedStates(stored: Map<string, ShardState> | undefined): ShardState[] {
  return [...(stored?.values() ?? [])].map(copyState).sort(byShardId);
}

/** The states' checkpoints (see {@link toCheckpoints}), by shard id. */
export function sortedCheckpoints(stored: Map<string, ShardState>): Checkpoint[] {
  return sortedStates(stored).flatMap(toCheckpoints);
}
