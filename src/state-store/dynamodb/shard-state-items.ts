/**
 * The shard states in the checkpoint items (pk `check_point#<app>#<stream>`, sk shard id): listing,
 * releasing, committing and deleting them, and the prune takeover of a dead client's heartbeat
 * checkpoints. Each write is a {@link ShardChange} of the shared rules made conditional on what
 * the rule was decided on. Taking a shard is in `acquire-shard.ts`.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import type { WriteRequest } from '@aws-sdk/client-dynamodb';
import { pruneTakeover, shardEntries } from '../heartbeat-checkpoints.js';
import { RELEASE_CHANGE, SHARD_FIELDS, commitChange, seekChange, type ShardChange, type ShardField } from '../shard-change.js';
import { inRange } from '../shard-pages.js';
import type { HeartbeatCheckpoints, HeartbeatSeeks, ShardCommit, ShardIdRange, ShardSeek, ShardState } from '../state-store.js';
import { byShardId } from '../store-values.js';
import { ShardStateItem, checkpointKey, shardStateOfItem } from './items.js';
import { and, UpdateExpression } from './update-expression.js';
import { HAS_CHECKPOINT, START_ONLY, checkpointIs, ownedBy, seekIs } from './shard-conditions.js';
import type { TableClient } from './table-client.js';

/** The attributes of a checkpoint item that hold a shard's state. */
export type ShardStateAttribute =
  | 'owner'
  | 'last_update'
  | 'shard_start'
  | 'sequence_number'
  | 'aggregate_sequence_number'
  | 'sub_sequence_number'
  | 'finished'
  | 'seek'
  | 'seek_to'
  | 'seek_after';

/** Each {@link ShardField}'s attribute, and the name of its value in an UpdateExpression. */
const ATTRIBUTES: Record<ShardField, { attribute: ShardStateAttribute; placeholder: string }> = {
  owner: { attribute: 'owner', placeholder: 'me' },
  lastUpdate: { attribute: 'last_update', placeholder: 'now' },
  shardStart: { attribute: 'shard_start', placeholder: 'start' },
  sequenceNumber: { attribute: 'sequence_number', placeholder: 'seq' },
  subSequenceNumber: { attribute: 'sub_sequence_number', placeholder: 'sub' },
  // kinesumer's checkpoint inside an aggregate is the item's sequence_number (see attributeOf)
  precedingSequenceNumber: { attribute: 'sequence_number', placeholder: 'before' },
  finished: { attribute: 'finished', placeholder: 'finished' },
  seekTo: { attribute: 'seek_to', placeholder: 'seek_to' },
  seekAfter: { attribute: 'seek_after', placeholder: 'seek_after' },
};

/**
 * The attribute a field of `change` is written to. Inside a partly processed aggregate (the
 * change sets kinesumer's checkpoint before it), `sequence_number` holds that checkpoint and the
 * position's own sequence number goes to `aggregate_sequence_number`; removing kinesumer's
 * checkpoint removes `aggregate_sequence_number` (the position is a whole record then, in
 * `sequence_number`).
 */
function attributeOf(field: ShardField, change: ShardChange, removing: boolean): ShardStateAttribute {
  if (field === 'sequenceNumber' && !removing && change.set.precedingSequenceNumber !== undefined) return 'aggregate_sequence_number';
  if (field === 'precedingSequenceNumber' && removing) return 'aggregate_sequence_number';
  return ATTRIBUTES[field].attribute;
}

/** The UpdateExpression that makes `change` to a checkpoint item (dates as ISO 8601 strings). */
export function shardUpdate(change: ShardChange): UpdateExpression<ShardStateAttribute> {
  const update = new UpdateExpression<ShardStateAttribute>();
  for (const field of SHARD_FIELDS) {
    const value = change.set[field];
    if (value !== undefined) update.set(attributeOf(field, change, false), value instanceof Date ? value.toISOString() : value, ATTRIBUTES[field].placeholder);
  }
  if (change.bumpSeek) update.add('seek', 1, 'one');
  for (const field of SHARD_FIELDS) if (change.remove.includes(field)) update.remove(attributeOf(field, change, true));
  return update;
}

/**
 * Every shard state of `stream` (a consistent Query, every page), in shard-id order, or those in
 * `range` (a range condition on the sort key: only those items are read); malformed items are
 * reported and left out.
 */
export async function listShardStates(db: TableClient, app: string, stream: string, range?: ShardIdRange): Promise<ShardState[]> {
  const values: Record<string, string> = { ':pk': checkpointKey(app, stream) };
  let condition = 'pk = :pk';
  if (range?.from !== undefined && range.before !== undefined) {
    // BETWEEN includes its upper bound: the item at `before`, if any, is read and dropped.
    condition += ' AND sk BETWEEN :from AND :before';
    Object.assign(values, { ':from': range.from, ':before': range.before });
  } else if (range?.from !== undefined) {
    condition += ' AND sk >= :from';
    values[':from'] = range.from;
  } else if (range?.before !== undefined) {
    condition += ' AND sk < :before';
    values[':before'] = range.before;
  }
  const items = await db.queryAll('listShardStates', { KeyConditionExpression: condition, ExpressionAttributeValues: marshall(values), ConsistentRead: true });
  return db
    .decodeAll(ShardStateItem, items)
    .map(shardStateOfItem)
    .filter((s) => inRange(s.shardId, range))
    .sort(byShardId);
}

/**
 * Removes `owner` if it is `clientId`; otherwise, or without an item, nothing happens. The shared
 * rule's write (`releaseChange`) without reading the item first, one conditional write per
 * case, the common one first: an item with a checkpoint loses its owner; one without gets its
 * `shard_start` as `sequence_number` too (so kinesumer never reads an empty checkpoint); one with
 * neither just loses its owner.
 */
export async function releaseShard(db: TableClient, app: string, stream: string, shardId: string, clientId: string): Promise<void> {
  const key = { pk: checkpointKey(app, stream), sk: shardId };
  const mine = ownedBy(clientId, 'me');
  if (await db.updateIf('releaseShard', key, shardUpdate(RELEASE_CHANGE).when(and(mine, HAS_CHECKPOINT)))) return;
  const fromStart = new UpdateExpression<ShardStateAttribute>().copy('sequence_number', 'shard_start').remove('owner');
  if (await db.updateIf('releaseShard', key, fromStart.when(and(mine, START_ONLY)))) return;
  await db.updateIf('releaseShard', key, shardUpdate(RELEASE_CHANGE).when(mine));
}

/**
 * Writes the commit ({@link commitChange}) if `commit.clientId` holds the shard, the stored
 * checkpoint is `commit.previous` and the stored `seek` is `commit.seek`; `false` when that
 * condition failed. The commit is checked by the caller.
 */
export async function commitShard(db: TableClient, app: string, stream: string, shardId: string, commit: ShardCommit): Promise<boolean> {
  const update = shardUpdate(commitChange(commit)).when(and(ownedBy(commit.clientId, 'me'), checkpointIs(commit.previous, 'prev'), seekIs(commit.seek, 'gen')));
  const out = await db.updateIf('commitShard', { pk: checkpointKey(app, stream), sk: shardId }, update);
  return out !== undefined;
}

/** Deletes the items of these shards with BatchWriteItem, 25 a call; missing items are no error. */
export async function deleteShardStates(db: TableClient, app: string, stream: string, shardIds: readonly string[]): Promise<void> {
  const pk = checkpointKey(app, stream);
  const deletes = [...new Set(shardIds)].map((sk): WriteRequest => ({ DeleteRequest: { Key: marshall({ pk, sk }) } }));
  await db.writeAll('deleteShardStates', deletes);
}

/**
 * Writes a removed client's heartbeat checkpoints to the shards it still holds, where they are
 * further on than the stored ones and made under the stored `seek` ({@link pruneTakeover}), each
 * on condition that owner, checkpoint and `seek` are as read.
 */
export async function writeHeartbeatCheckpoints(
  db: TableClient,
  app: string,
  clientId: string,
  checkpoints: HeartbeatCheckpoints,
  seeks: HeartbeatSeeks | undefined,
): Promise<void> {
  for (const [stream, shardId, position] of shardEntries(checkpoints)) {
    const key = { pk: checkpointKey(app, stream), sk: shardId };
    const item = await db.getItem('pruneClients', key);
    const decoded = item === undefined ? undefined : db.decode(ShardStateItem, item);
    const seen = decoded === undefined ? undefined : shardStateOfItem(decoded);
    const change = seen === undefined ? undefined : pruneTakeover(clientId, position, seen, seeks?.[stream]?.[shardId]);
    if (seen === undefined || change === undefined) continue;
    const update = shardUpdate(change).when(and(ownedBy(clientId, 'owner'), checkpointIs(seen.sequenceNumber, 'seen_seq'), seekIs(seen.seek, 'seen_gen')));
    await db.updateIf('pruneClients', key, update);
  }
}

/** Sends the shard to `seek` ({@link seekChange}), unconditionally, and returns its state after it. */
export async function seekShard(db: TableClient, app: string, stream: string, shardId: string, seek: ShardSeek): Promise<ShardState> {
  const updated = await db.updateIf('seekShard', { pk: checkpointKey(app, stream), sk: shardId }, shardUpdate(seekChange(seek)), true);
  const state = updated === undefined ? undefined : db.decode(ShardStateItem, updated.Attributes ?? {});
  if (state === undefined) throw new Error(`the state of shard ${shardId} of stream "${stream}" could not be read after the seek`);
  return shardStateOfItem(state);
}
