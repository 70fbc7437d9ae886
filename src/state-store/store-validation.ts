/**
 * What both stores refuse before they write anything, with the same messages: an invalid Date, a
 * sequence number that is not a decimal string, a commit with nothing to write. Each failure is a
 * {@link StateStoreError} (not retriable) naming the store method that was called.
 */
import { StateStoreError } from '../errors.js';
import { positionOf } from '../position.js';
import { mapShardEntries } from './heartbeat-checkpoints.js';
import { validStats } from './heartbeat-stats.js';
import type { Checkpoint, Heartbeat, ShardCommit } from './state-store.js';

const DECIMAL = /^\d+$/;

/** Whether `value` is a Kinesis sequence number: a non-empty string of decimal digits. */
export function isSequenceNumber(value: unknown): value is string {
  return typeof value === 'string' && DECIMAL.test(value);
}

/**
 * `date` itself, when it is a valid Date.
 * @throws StateStoreError of `operation` otherwise.
 */
export function validDate(operation: string, date: Date): Date {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new StateStoreError(operation, 'an invalid Date was given');
  }
  return date;
}

/**
 * `sequenceNumber` itself, when it is a decimal string.
 * @throws StateStoreError of `operation` naming the shard and stream otherwise.
 */
export function validSequenceNumber(operation: string, stream: string, shardId: string, sequenceNumber: string): string {
  if (!isSequenceNumber(sequenceNumber)) {
    throw new StateStoreError(operation, `sequence number of shard ${shardId} of stream "${stream}" is not a decimal string`);
  }
  return sequenceNumber;
}

/**
 * Checks a commit: a decimal sequence number (and kinesumer's checkpoint, when given), or none at
 * all when it only marks the shard finished. (Its date is checked apart, after this.)
 * @throws StateStoreError of `commitShard` otherwise.
 */
export function validateCommit(stream: string, shardId: string, commit: ShardCommit): void {
  if (commit.precedingSequenceNumber !== undefined) validSequenceNumber('commitShard', stream, shardId, commit.precedingSequenceNumber);
  if (commit.sequenceNumber !== undefined) {
    validSequenceNumber('commitShard', stream, shardId, commit.sequenceNumber);
  } else if (!commit.finished) {
    throw new StateStoreError('commitShard', `a commit of shard ${shardId} of stream "${stream}" has neither a sequence number nor finished`);
  }
}

/**
 * The checkpoints an `updateCheckpoints` call writes: every one checked first (so that a bad one
 * writes none), then one per shard, the last given winning, in the order of their last mention.
 * @throws StateStoreError of `updateCheckpoints` for a bad sequence number or date.
 */
export function latestCheckpoints(stream: string, checkpoints: readonly Checkpoint[]): Checkpoint[] {
  const latest = new Map<string, Checkpoint>();
  for (const cp of checkpoints) {
    validSequenceNumber('updateCheckpoints', stream, cp.shardId, cp.sequenceNumber);
    validDate('updateCheckpoints', cp.lastUpdate);
    latest.delete(cp.shardId);
    latest.set(cp.shardId, cp);
  }
  return [...latest.values()];
}

/**
 * A checked copy of what a heartbeat carries: every position's sequence number is a decimal
 * string, streams without positions are left out, empty digests are none (the DynamoDB store
 * removes an empty map from the item), and the shard stats are checked (`validStats`); empty
 * stats are none too.
 * @throws StateStoreError of `heartbeat` for a bad sequence number or bad stats.
 */
export function validHeartbeat(heartbeat: Heartbeat): Heartbeat {
  const checkpoints = mapShardEntries(heartbeat.checkpoints, (position, stream, shardId) =>
    positionOf(validSequenceNumber('heartbeat', stream, shardId, position.sequenceNumber), position.subSequenceNumber),
  );
  const digests = heartbeat.digests === undefined || Object.keys(heartbeat.digests).length === 0 ? undefined : { ...heartbeat.digests };
  const stats = validStats(heartbeat.stats);
  // a seek is kept for a carried checkpoint only, and only above 0 (absent means 0)
  const seeks = mapShardEntries(heartbeat.seeks ?? {}, (seek, stream, shardId) => {
    if (!Number.isSafeInteger(seek) || seek < 0) throw new StateStoreError('heartbeat', `seeks of shard ${shardId} of stream "${stream}" is not a whole number`);
    return seek > 0 && checkpoints[stream]?.[shardId] !== undefined ? seek : undefined;
  });
  return {
    checkpoints,
    ...(Object.keys(seeks).length === 0 ? {} : { seeks }),
    ...(digests === undefined ? {} : { digests }),
    ...(Object.keys(stats).length === 0 ? {} : { stats }),
  };
}
