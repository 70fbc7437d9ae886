/**
 * Checkpoints as kinesumer reads and writes them: the checkpoint items (pk
 * `check_point#<app>#<stream>`, sk shard id) that have a `sequence_number`.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import type { WriteRequest } from '@aws-sdk/client-dynamodb';
import type { Checkpoint } from '../state-store.js';
import { byShardId } from '../store-values.js';
import { latestCheckpoints } from '../store-validation.js';
import { CheckpointItem, checkpointKey, hasCheckpoint } from './items.js';
import type { Item, TableClient } from './table-client.js';

/**
 * Checkpoints of `shardIds` in that order (BatchGetItem), or of every shard of the stream in
 * shard-id order (Query); items without a `sequence_number` are left out, unreported.
 */
export async function getCheckpoints(db: TableClient, app: string, stream: string, shardIds?: readonly string[]): Promise<Checkpoint[]> {
  const pk = checkpointKey(app, stream);
  const wanted = shardIds === undefined ? undefined : [...new Set(shardIds)];
  let items: Item[];
  if (wanted === undefined) {
    items = await db.queryAll('getCheckpoints', {
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: marshall({ ':pk': pk }),
      ConsistentRead: true,
    });
  } else {
    items = await db.getAll('getCheckpoints', wanted.map((sk) => marshall({ pk, sk })));
  }
  const checkpoints = db.decodeAll(CheckpointItem, items.filter(hasCheckpoint)).map(
    (item): Checkpoint => ({ shardId: item.sk, sequenceNumber: item.sequence_number, lastUpdate: item.last_update }),
  );
  if (wanted === undefined) return checkpoints.sort(byShardId);
  const order = new Map(wanted.map((id, i) => [id, i] as const));
  return checkpoints.sort((a, b) => (order.get(a.shardId) ?? 0) - (order.get(b.shardId) ?? 0));
}

/** Puts the checkpoints with BatchWriteItem, 25 a call, each item replaced whole; the last of one shard wins. */
export async function updateCheckpoints(db: TableClient, app: string, stream: string, checkpoints: readonly Checkpoint[]): Promise<void> {
  const pk = checkpointKey(app, stream);
  const puts = latestCheckpoints(stream, checkpoints).map(
    (cp): WriteRequest => ({
      PutRequest: {
        Item: marshall(CheckpointItem.encode({ pk, sk: cp.shardId, sequence_number: cp.sequenceNumber, last_update: cp.lastUpdate })),
      },
    }),
  );
  await db.writeAll('updateCheckpoints', puts);
}
