/**
 * The condition expressions of the checkpoint-item writes: how the DynamoDB store makes a write
 * decided on what it read (by the shared rules of `take-decision.ts` and `shard-change.ts`) apply
 * only while the item is still what it read. Of two clients that decided on one read, at most one
 * write goes through.
 */
import type { Take } from '../take-decision.js';
import { and, type Condition } from './update-expression.js';

/** The item does not exist. */
export const NO_ITEM: Condition = { expression: 'attribute_not_exists(pk)', names: {}, values: {} };

/** Nobody holds the shard; an absent item satisfies it too. */
export const NO_OWNER: Condition = { expression: 'attribute_not_exists(#owner)', names: { '#owner': 'owner' }, values: {} };

/** Not (yet) read to its end. */
export const NOT_FINISHED: Condition = {
  expression: '(attribute_not_exists(#finished) OR #finished = :false)',
  names: { '#finished': 'finished' },
  values: { ':false': false },
};

/** Nobody holds the shard and it is not finished; an absent item satisfies it too. */
export const FREE: Condition = and(NO_OWNER, NOT_FINISHED);

/**
 * {@link FREE}, and, when the shard's start is known, no checkpoint unless it was written for
 * this shard: one of an older shard of that id must be removed, which needs a read first.
 */
export function freeFor(shardStart: string | undefined): Condition {
  if (shardStart === undefined) return FREE;
  return and(FREE, {
    expression: '(attribute_not_exists(#sequence_number) OR #shard_start = :start)',
    names: { '#sequence_number': 'sequence_number', '#shard_start': 'shard_start' },
    values: { ':start': shardStart },
  });
}

/** `clientId` holds the shard; its value is named `:placeholder`. */
export function ownedBy(clientId: string, placeholder: string): Condition {
  return { expression: `#owner = :${placeholder}`, names: { '#owner': 'owner' }, values: { [`:${placeholder}`]: clientId } };
}

/**
 * The stored checkpoint is `sequenceNumber` (absent when that is `undefined`); its value is named
 * `:placeholder`. The checkpoint is rx-kinesumer's position: `aggregate_sequence_number` inside a
 * partly processed aggregate (where `sequence_number` is kinesumer's checkpoint before it), else
 * `sequence_number`.
 */
export function checkpointIs(sequenceNumber: string | undefined, placeholder: string): Condition {
  const names = { '#sequence_number': 'sequence_number', '#aggregate_sequence_number': 'aggregate_sequence_number' };
  if (sequenceNumber === undefined) {
    return { expression: '(attribute_not_exists(#sequence_number) AND attribute_not_exists(#aggregate_sequence_number))', names, values: {} };
  }
  return {
    expression: `(#aggregate_sequence_number = :${placeholder} OR (attribute_not_exists(#aggregate_sequence_number) AND #sequence_number = :${placeholder}))`,
    names,
    values: { [`:${placeholder}`]: sequenceNumber },
  };
}

/** The item holds a checkpoint (kinesumer's `sequence_number`). */
export const HAS_CHECKPOINT: Condition = { expression: 'attribute_exists(#sequence_number)', names: { '#sequence_number': 'sequence_number' }, values: {} };

/** The item holds no checkpoint, and it records the shard's start. */
export const START_ONLY: Condition = {
  expression: 'attribute_not_exists(#sequence_number) AND attribute_exists(#shard_start)',
  names: { '#sequence_number': 'sequence_number', '#shard_start': 'shard_start' },
  values: {},
};

/**
 * The condition of a take decided on a read item: its holder is still the one read (or there is
 * still none) and, unless the take removes an older shard's progress, it is still not finished;
 * when the take replaces the checkpoint or removes it, that and the `seek` are still the ones read
 * (a seek in between must not be undone).
 *
 * @param take The decision (see `decideTake`).
 * @param seenSequenceNumber The checkpoint the item held when it was read.
 */
export function takeCondition(take: Take, seenSequenceNumber: string | undefined): Condition {
  const owner = take.seen?.owner;
  return and(
    owner === undefined ? NO_OWNER : ownedBy(owner, 'seen_owner'),
    ...(take.stale ? [] : [NOT_FINISHED]),
    ...(take.ahead !== undefined || take.stale ? [checkpointIs(seenSequenceNumber, 'seen_seq'), seekIs(take.seen?.seek, 'seen_gen')] : []),
  );
}

/**
 * The stored `seek` is `seek` (absent when that is 0 or `undefined`: the shard was never sought);
 * its value is named `:placeholder`. What fences a write on the seek its reading started from.
 */
export function seekIs(seek: number | undefined, placeholder: string): Condition {
  const names = { '#seek': 'seek' };
  if (seek === undefined || seek === 0) return { expression: 'attribute_not_exists(#seek)', names, values: {} };
  return { expression: `#seek = :${placeholder}`, names, values: { [`:${placeholder}`]: seek } };
}
