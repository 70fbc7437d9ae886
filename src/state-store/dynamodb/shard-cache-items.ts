/**
 * The leader's shard lists in the shard-cache items (pk `shard_cache#<app>`), in kinesumer's
 * `shards` layout; the deprecated `shard_ids` of old kinesumer versions is still read.
 *
 * A list of up to {@link SHARD_CACHE_PAGE_SIZE} shards is kinesumer's item: sk `<stream>`,
 * `shards`. A longer one does not fit one item (400 KB) and is kept in pages instead: sk
 * `<stream>#0000`, `<stream>#0001`, ... (Kinesis stream names have no `#`), each with `shards`
 * (at most {@link SHARD_CACHE_PAGE_SIZE}), the first also with `page_digests` (L of S: a digest of
 * each page's entries, so that a read of pages written by different updates is noticed), and no
 * item at sk `<stream>`. kinesumer (Go) then finds no shard cache and lists the shards itself,
 * as it does before its leader wrote one: it reads the right shards, never a part of the list.
 *
 * Writes go in an order that readers can follow: pages before their first page (which holds the
 * digests), the kinesumer item before the pages are deleted and after they were written. An item
 * at sk `<stream>` always wins: it is either kinesumer's own or the newer write.
 */
import { createHash } from 'node:crypto';
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import * as t from 'io-ts';
import { StateStoreError } from '../../errors.js';
import { shardPages } from '../shard-pages.js';
import { SHARD_CACHE_PAGE_SIZE, type CachedShard } from '../state-store.js';
import { ShardCacheItem, ShardEntry, cachedShardOfEntry, shardCacheKey, shardEntryOf } from './items.js';
import type { Item, TableClient } from './table-client.js';
import { UpdateExpression } from './update-expression.js';

/** DynamoDB's item size limit, bytes. */
const ITEM_LIMIT = 400 * 1024;

/** One page of a paged shard cache; the first also carries the digest of every page. */
const ShardCachePageItem = t.exact(
  t.intersection([t.type({ pk: t.string, sk: t.string, shards: t.array(ShardEntry) }), t.partial({ page_digests: t.array(t.string) })]),
  'ShardCachePageItem',
);
type ShardCachePageItem = t.TypeOf<typeof ShardCachePageItem>;

/** The sort key of page `page` of `stream`'s paged shard cache. */
export function shardPageKey(stream: string, page: number): string {
  return `${stream}#${String(page).padStart(4, '0')}`;
}

/** The digest of one page's entries: what the first page's `page_digests` holds for it. */
export function shardPageDigest(entries: readonly ShardEntry[]): string {
  const hash = createHash('sha256');
  for (const e of entries) hash.update(`${e.ID}|${e.Closed ? 1 : 0}|${e.ParentShardId ?? ''}|${e.AdjacentParentShardId ?? ''}|${e.StartingSequenceNumber ?? ''}\n`);
  return hash.digest('base64url').slice(0, 16);
}

/** A read of a stream's shard cache: the list, and whether any page item was there. */
export interface ShardCacheRead {
  /** `undefined` when there is none, it is malformed, or its pages stayed inconsistent. */
  shards: CachedShard[] | undefined;
  /** Whether the read found page items (a paged cache, or pages a shorter list left behind). */
  pages: boolean;
}

/**
 * The cached shard list of `stream`: one consistent Query for kinesumer's item and the pages
 * together (sort keys `<stream>` to `<stream>#\uffff`; stream names have no character that sorts
 * below `#`, so no other stream's item is read). `undefined` when there is none, it is malformed
 * (reported; the leader's next update replaces it), or its pages stayed inconsistent over two
 * reads (reported: a leader is rewriting it, or died while it did; its next update writes it whole).
 */
export async function getShards(db: TableClient, app: string, stream: string): Promise<ShardCacheRead> {
  for (let attempt = 0; ; attempt++) {
    const items = await db.queryAll('getShards', {
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :first AND :last',
      ExpressionAttributeValues: marshall({ ':pk': shardCacheKey(app), ':first': stream, ':last': `${stream}#\uffff` }),
      ConsistentRead: true,
    });
    const item = items.find((i) => i['sk']?.S === stream);
    const pageItems = items.filter((i) => i !== item);
    if (item !== undefined) {
      const cache = db.decode(ShardCacheItem, item);
      // Old kinesumer versions cached only the ids of the open shards.
      const shards = cache === undefined ? undefined : cache.shards !== undefined ? cache.shards.map(cachedShardOfEntry) : (cache.shard_ids ?? []).map((id) => ({ id, closed: false }));
      return { shards, pages: pageItems.length > 0 };
    }
    const read = pagesOf(db, stream, pageItems);
    if (read === undefined || read.consistent) return { shards: read?.shards, pages: pageItems.length > 0 };
    if (attempt >= 1) {
      db.report(new StateStoreError('getShards', `the pages of the shard cache of stream "${stream}" do not match its page digests (being rewritten?); read as no cache`, { retriable: true }));
      return { shards: undefined, pages: true };
    }
  }
}

/** Page `page` of `stream`'s paged shard cache (one consistent GetItem), or `undefined` when it has none (or it is malformed: reported). */
export async function getShardPage(db: TableClient, app: string, stream: string, page: number): Promise<CachedShard[] | undefined> {
  if (!Number.isSafeInteger(page) || page < 0) return undefined;
  const item = await db.getItem('getShardPage', { pk: shardCacheKey(app), sk: shardPageKey(stream, page) });
  const decoded = item === undefined ? undefined : db.decode(ShardCachePageItem, item);
  return decoded?.shards.map(cachedShardOfEntry);
}

/**
 * Replaces `stream`'s shard list: kinesumer's item when it fits one page, pages otherwise, each
 * page written only when its digest changed.
 * @param noPages The last read found no page items: a list that fits one item has none to delete.
 * @throws StateStoreError (not retriable) when a page would exceed DynamoDB's 400 KB (ids or sequence numbers far longer than Kinesis's).
 */
export async function updateShards(db: TableClient, app: string, stream: string, shards: readonly CachedShard[], noPages = false): Promise<void> {
  const pk = shardCacheKey(app);
  const pages = shardPages(shards.map(shardEntryOf));
  for (const [i, page] of pages.entries()) checkSize(stream, i, page);
  if (shards.length <= SHARD_CACHE_PAGE_SIZE) {
    await db.update('updateShards', { pk, sk: stream }, new UpdateExpression<'shards'>({ removeUndefinedValues: true }).set('shards', pages[0]!));
    if (!noPages) await deletePages(db, app, stream, 0);
    return;
  }
  const digests = pages.map(shardPageDigest);
  // What the pages hold now, by their entries (not by the first page's digests, which a write
  // that died half-way leaves wrong): only pages that differ are written, a read costing a
  // quarter of a write of the same size.
  const stored = await pageItems(db, 'updateShards', app, stream);
  const held = (i: number): string | undefined => {
    const page = stored.get(shardPageKey(stream, i));
    return page === undefined ? undefined : shardPageDigest(page.shards);
  };
  for (let i = 1; i < pages.length; i++) {
    if (held(i) === digests[i]) continue;
    await db.update('updateShards', { pk, sk: shardPageKey(stream, i) }, new UpdateExpression<'shards'>({ removeUndefinedValues: true }).set('shards', pages[i]!));
  }
  const old = stored.get(shardPageKey(stream, 0))?.page_digests ?? [];
  if (held(0) !== digests[0] || old.length !== digests.length || old.some((d, i) => d !== digests[i])) {
    const first = new UpdateExpression<'shards' | 'page_digests'>({ removeUndefinedValues: true }).set('shards', pages[0]!).set('page_digests', digests);
    await db.update('updateShards', { pk, sk: shardPageKey(stream, 0) }, first);
  }
  await db.deleteItem('updateShards', { pk, sk: stream });
  for (const sk of stored.keys()) if (sk > shardPageKey(stream, pages.length - 1)) await db.deleteItem('updateShards', { pk, sk });
}

/** Every page item of `stream`, by sort key (one consistent Query; malformed ones reported and left out). */
async function pageItems(db: TableClient, operation: string, app: string, stream: string): Promise<Map<string, ShardCachePageItem>> {
  const items = await db.queryAll(operation, {
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: marshall({ ':pk': shardCacheKey(app), ':prefix': `${stream}#` }),
    ConsistentRead: true,
  });
  const bySk = new Map<string, ShardCachePageItem>();
  for (const page of db.decodeAll(ShardCachePageItem, items)) bySk.set(page.sk, page);
  return bySk;
}

/** The list the page items hold, and whether they match the first page's digests; `undefined` without a first page. */
function pagesOf(db: TableClient, stream: string, items: Item[]): { shards: CachedShard[]; consistent: boolean } | undefined {
  const bySk = new Map<string, ShardCachePageItem>();
  for (const page of db.decodeAll(ShardCachePageItem, items)) bySk.set(page.sk, page);
  const first = bySk.get(shardPageKey(stream, 0));
  if (first?.page_digests === undefined) return undefined;
  const shards: CachedShard[] = [];
  let consistent = true;
  for (const [i, digest] of first.page_digests.entries()) {
    const page = bySk.get(shardPageKey(stream, i));
    if (page === undefined || shardPageDigest(page.shards) !== digest) consistent = false;
    else shards.push(...page.shards.map(cachedShardOfEntry));
  }
  return { shards, consistent };
}

/** Deletes the pages of a paged cache from `from` on: the first page (its digests say how many there were) last. */
async function deletePages(db: TableClient, app: string, stream: string, from: number): Promise<void> {
  const pk = shardCacheKey(app);
  const out = await db.call('updateShards', () =>
    db.client.send(new DeleteItemCommand({ TableName: db.table, Key: marshall({ pk, sk: shardPageKey(stream, from) }), ReturnValues: 'ALL_OLD' })),
  );
  const old = out.Attributes === undefined ? undefined : (unmarshall(out.Attributes as Item)['page_digests'] as unknown);
  const count = Array.isArray(old) ? old.length : 0;
  for (let i = from + 1; i < count; i++) await db.deleteItem('updateShards', { pk, sk: shardPageKey(stream, i) });
}

/** Fails when page `page`'s item would exceed DynamoDB's item size (estimated from its text, which is at least as long). */
function checkSize(stream: string, page: number, entries: readonly ShardEntry[]): void {
  const size = Buffer.byteLength(JSON.stringify(entries)) + 64;
  if (size > ITEM_LIMIT - 8 * 1024) {
    throw new StateStoreError('updateShards', `page ${page} of the shard cache of stream "${stream}" would take ${size} bytes, past DynamoDB's 400 KB item limit`, { retriable: false });
  }
}
