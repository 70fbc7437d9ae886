/**
 * What each shard-state write of a store does to the state, as data: the fields it sets and the
 * fields it removes. The memory store applies a change to its object; the DynamoDB store turns
 * the same change into an UpdateExpression. So a write's effect is decided once, for both.
 */
import { positionOf, type Position } from '../position.js';
import type { AcquireRequest, ShardCommit, ShardSeek, ShardState } from './state-store.js';

/** The fields of a {@link ShardState} a write may change (all but the key). */
export type ShardField =
  | 'owner'
  | 'lastUpdate'
  | 'shardStart'
  | 'sequenceNumber'
  | 'subSequenceNumber'
  | 'precedingSequenceNumber'
  | 'finished'
  | 'seekTo'
  | 'seekAfter';

/** Every {@link ShardField}, in the order a store writes them. */
export const SHARD_FIELDS: readonly ShardField[] = ['owner', 'lastUpdate', 'shardStart', 'sequenceNumber', 'subSequenceNumber', 'precedingSequenceNumber', 'finished', 'seekTo', 'seekAfter'];

/** One write's effect on a shard's state. A removed `finished` reads as `false`. */
export interface ShardChange {
  /** Fields to set; absent (or `undefined`) ones are left as they are. */
  readonly set: Readonly<Partial<Pick<ShardState, ShardField>>>;
  /** Fields to remove. */
  readonly remove: readonly ShardField[];
  /** Add one to `seek` (absent counts as 0): a seek. */
  readonly bumpSeek?: boolean;
}

/** The fields that mark a seek as pending: a commit or a take of stale state removes them. */
const PENDING_SEEK: readonly ShardField[] = ['seekTo', 'seekAfter'];

/**
 * `state` after `change`: removed fields go, set ones are written (dates copied), `finished`
 * stays a boolean.
 *
 * @param state The state before the write; not changed.
 * @param change What the write does.
 * @returns A new state.
 */
export function applyShardChange(state: ShardState, change: ShardChange): ShardState {
  const next: Partial<ShardState> = { ...state };
  for (const field of change.remove) delete next[field];
  for (const field of SHARD_FIELDS) {
    const value = change.set[field];
    if (value === undefined) continue;
    Object.assign(next, { [field]: value instanceof Date ? new Date(value.getTime()) : typeof value === 'object' ? { ...value } : value });
  }
  if (change.bumpSeek) next.seek = (state.seek ?? 0) + 1;
  return { ...next, shardId: state.shardId, finished: next.finished === true };
}

/**
 * Moves the checkpoint to `position` (a sub-sequence number not in `position` is removed), and
 * sets `lastUpdate` when one is given. Inside an aggregate, `preceding` is kinesumer's checkpoint
 * ({@link ShardState.precedingSequenceNumber}); it is kept only with a sub-sequence number.
 */
export function positionChange(position: Position, lastUpdate?: Date, preceding?: string): ShardChange {
  const { sequenceNumber, subSequenceNumber } = positionOf(position.sequenceNumber, position.subSequenceNumber);
  const precedingSequenceNumber = subSequenceNumber === undefined ? undefined : preceding;
  return {
    set: {
      ...(lastUpdate === undefined ? {} : { lastUpdate }),
      sequenceNumber,
      ...(subSequenceNumber === undefined ? {} : { subSequenceNumber }),
      ...(precedingSequenceNumber === undefined ? {} : { precedingSequenceNumber }),
    },
    remove: [...(subSequenceNumber === undefined ? (['subSequenceNumber'] as const) : []), ...(precedingSequenceNumber === undefined ? (['precedingSequenceNumber'] as const) : [])],
  };
}

/**
 * What a take of the shard writes: the new owner, the time and the shard start (when known);
 * with `ahead`, the previous holder's heartbeat position (inside an aggregate, with `preceding` as
 * kinesumer's checkpoint); with `stale`, the removal of progress written for an older shard of
 * that id (its checkpoint, unless `ahead` replaces it, its finished mark and a pending seek).
 *
 * @param request The take: who takes the shard, when, and the shard's start.
 * @param ahead The position to start after, from the previous holder's heartbeat.
 * @param stale Whether the stored progress was written for an older shard of that id.
 * @param preceding With a partly processed aggregate `ahead`: kinesumer's checkpoint before it.
 */
export function takeChange(
  request: Pick<AcquireRequest, 'clientId' | 'now' | 'shardStart'>,
  ahead?: Position,
  stale = false,
  preceding?: string,
): ShardChange {
  const position = ahead === undefined ? undefined : positionChange(ahead, undefined, preceding);
  // a position from the holder's heartbeat (made under the current seek) ends a pending seek too
  const dropped: ShardField[] = !stale
    ? ahead === undefined
      ? []
      : [...PENDING_SEEK]
    : ahead === undefined
      ? ['sequenceNumber', 'subSequenceNumber', 'precedingSequenceNumber', 'finished', ...PENDING_SEEK]
      : ['finished', ...PENDING_SEEK];
  return {
    set: {
      owner: request.clientId,
      lastUpdate: request.now,
      ...(request.shardStart === undefined ? {} : { shardStart: request.shardStart }),
      ...position?.set,
    },
    remove: [...(position?.remove ?? []), ...dropped],
  };
}

/**
 * What a commit writes: the time, the new checkpoint (its sub-sequence number, or none) and the
 * finished mark. Without a sequence number (a finished shard with no record read) the stored
 * checkpoint stays. After a seek (`commit.seek` above 0) the pending seek is over: the checkpoint
 * (or the finished mark) says where the shard is now. (A shard never sought has no pending seek,
 * and a seek that came after this reading started makes the write fail its fence.)
 */
export function commitChange(commit: ShardCommit): ShardChange {
  const position =
    commit.sequenceNumber === undefined
      ? undefined
      : positionChange(positionOf(commit.sequenceNumber, commit.subSequenceNumber), undefined, commit.precedingSequenceNumber);
  return {
    set: { lastUpdate: commit.now, ...position?.set, ...(commit.finished ? { finished: true } : {}) },
    remove: [...(position?.remove ?? []), ...((commit.seek ?? 0) > 0 ? PENDING_SEEK : [])],
  };
}

/**
 * What a seek writes ({@link StateStore.seekShard}): one more `seek`, and either the target (with
 * the parents sought with it) and no finished mark, or, without a target, the finished mark. The
 * owner stays. The checkpoint goes; with the shard's start known, `sequenceNumber` becomes that
 * start instead, so that kinesumer (Go), which knows nothing of seeks, reads the shard from its
 * beginning (it replays, never skips); rx-kinesumer starts a shard with a pending seek at the
 * seek's target whatever its `sequenceNumber` says.
 */
export function seekChange(seek: ShardSeek): ShardChange {
  const common = {
    lastUpdate: seek.now,
    ...(seek.shardStart === undefined ? {} : { shardStart: seek.shardStart, sequenceNumber: seek.shardStart }),
  };
  const position: ShardField[] = [...(seek.shardStart === undefined ? (['sequenceNumber'] as const) : []), 'subSequenceNumber', 'precedingSequenceNumber'];
  const after = seek.seekAfter !== undefined && Object.keys(seek.seekAfter).length > 0 ? seek.seekAfter : undefined;
  if (seek.seekTo === undefined) {
    return { set: { ...common, finished: true }, remove: [...position, ...PENDING_SEEK], bumpSeek: true };
  }
  return {
    set: { ...common, seekTo: seek.seekTo, ...(after === undefined ? {} : { seekAfter: after }) },
    remove: [...position, 'finished', ...(after === undefined ? (['seekAfter'] as const) : [])],
    bumpSeek: true,
  };
}

/** What a release of a shard with a checkpoint writes: the owner goes, everything else stays. */
export const RELEASE_CHANGE: ShardChange = { set: {}, remove: ['owner'] };

/**
 * What a release of `state` writes: the owner goes; a shard without a checkpoint gets its shard
 * start as one, when that is recorded. kinesumer (Go) reads every checkpoint item it finds and
 * resumes AFTER its `sequence_number`, so an item without one (read as `""`) is a shard it can
 * never read. The item is not deleted: its existence tells the group this shard's lineage was
 * read (a child starts at TRIM_HORIZON, a finished parent's state may go), and AFTER the starting
 * sequence number is where rx-kinesumer starts a shard with state and no checkpoint anyway. A
 * finished shard keeps its finished mark; the checkpoint only spares kinesumer a failing call.
 *
 * @param state The shard's state, held by the releasing client.
 * @returns The change; the DynamoDB store writes the same with conditions instead of a read.
 */
export function releaseChange(state: Pick<ShardState, 'sequenceNumber' | 'shardStart'>): ShardChange {
  if (state.sequenceNumber !== undefined || state.shardStart === undefined) return RELEASE_CHANGE;
  return { set: { sequenceNumber: state.shardStart }, remove: ['owner'] };
}
