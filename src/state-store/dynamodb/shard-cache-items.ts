/**
 * The leader's shard lists in the shard-cache items (pk `shard_cache#<app>`, sk stream), in
 * kinesumer's `shards` layout; the deprecated `shard_ids` of old kinesumer versions is still read.
 */
import type { CachedShard } from '../state-store.js';
import { ShardCacheItem, cachedShardOfEntry, shardCacheKey, shardEntryOf } from './items.js';
import type { TableClient } from './table-client.js';
import { UpdateExpression } from './update-expression.js';

/** The cached shard list of `stream` (a consistent read), or `undefined` when there is none or it is malformed (reported). */
export async function getShards(db: TableClient, app: string, stream: string): Promise<CachedShard[] | undefined> {
  const item = await db.getItem('getShards', { pk: shardCacheKey(app), sk: stream });
  const cache = item === undefined ? undefined : db.decode(ShardCacheItem, item);
  if (cache === undefined) return undefined;
  if (cache.shards !== undefined) return cache.shards.map(cachedShardOfEntry);
  // Old kinesumer versions cached only the ids of the open shards.
  return (cache.shard_ids ?? []).map((id) => ({ id, closed: false }));
}

/** Sets the `shards` attribute of the stream's shard-cache item (other attributes are kept). */
export async function updateShards(db: TableClient, app: string, stream: string, shards: readonly CachedShard[]): Promise<void> {
  const update = new UpdateExpression<'shards'>({ removeUndefinedValues: true }).set('shards', shards.map(shardEntryOf));
  await db.update('updateShards', { pk: shardCacheKey(app), sk: stream }, update);
}
