/**
 * The paged shard cache on dynalite (started for this file, stopped even when a test fails):
 * 10,000 shards of one stream written and read back, the items as they lie in the table
 * (kinesumer's item for one page, pages and no kinesumer item beyond), pages from two different
 * writes noticed, and a page past DynamoDB's item size refused with a typed error.
 */
import anyTest, { type TestFn } from 'ava';
import { DynamoDBClient, GetItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { StateStoreError, type KinesumerError } from '../../../src/errors.js';
import { createStateTable } from '../../../src/state-store/dynamodb/create-table.js';
import { DynamoDBStateStore } from '../../../src/state-store/dynamodb/dynamodb-state-store.js';
import { SHARD_CACHE_PAGE_SIZE, type CachedShard } from '../../../src/state-store/state-store.js';
import { localAws, startDynalite, type Emulator } from '../../helpers/emulators.js';
import { shardId, uniqueApp } from '../contract.js';
import { manyShards } from '../shard-cache-contract.js';

const test = anyTest as TestFn<{ dynalite: Emulator; client: DynamoDBClient }>;
const TABLE = 'kinesumer-state-store';

test.before(async (t) => {
  const dynalite = await startDynalite();
  const client = new DynamoDBClient({ ...localAws, endpoint: dynalite.endpoint });
  t.context = { dynalite, client };
  await createStateTable(client, TABLE);
});

test.after.always(async (t) => {
  t.context.client?.destroy();
  await t.context.dynalite?.stop();
});

function storeOf(t: { context: { client: DynamoDBClient } }): { store: DynamoDBStateStore; errors: KinesumerError[] } {
  const store = new DynamoDBStateStore({ table: TABLE, client: t.context.client });
  const errors: KinesumerError[] = [];
  store.errors$.subscribe((e) => errors.push(e));
  return { store, errors };
}

/** The sort keys of every shard-cache item of `app`, read raw. */
async function cacheKeys(client: DynamoDBClient, app: string): Promise<string[]> {
  const out = await client.send(
    new QueryCommand({ TableName: TABLE, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: marshall({ ':pk': `shard_cache#${app}` }), ConsistentRead: true }),
  );
  return (out.Items ?? []).map((i) => i['sk']!.S!).sort();
}

test('10,000 shards of one stream are written and read back (old layout: one item, past 400 KB)', async (t) => {
  const { store, errors } = storeOf(t);
  const app = uniqueApp();
  const shards = manyShards(10_000);
  await store.updateShards(app, 'big', shards);
  t.deepEqual(await store.getShards(app, 'big'), shards);
  t.deepEqual(await store.getShardPage(app, 'big', 9), shards.slice(9000));
  t.deepEqual(await cacheKeys(t.context.client, app), Array.from({ length: 10 }, (_, i) => `big#${String(i).padStart(4, '0')}`));
  // written again unchanged: read back the same (only changed pages are written)
  await store.updateShards(app, 'big', shards);
  t.deepEqual(await store.getShards(app, 'big'), shards);
  t.deepEqual(errors, []);
});

test("a shard cache of one page is kinesumer's item, exactly; the pages of a longer one replace it, and it comes back", async (t) => {
  const { store } = storeOf(t);
  const app = uniqueApp();
  const one = [{ id: shardId(0), closed: false }, { id: shardId(1), closed: true }];
  await store.updateShards(app, 's', one);
  const raw = await t.context.client.send(new GetItemCommand({ TableName: TABLE, Key: marshall({ pk: `shard_cache#${app}`, sk: 's' }), ConsistentRead: true }));
  t.deepEqual(unmarshall(raw.Item!), { pk: `shard_cache#${app}`, sk: 's', shards: [{ ID: shardId(0), Closed: false }, { ID: shardId(1), Closed: true }] });
  // when it grows past a page: no item kinesumer would read a part of the list from
  await store.updateShards(app, 's', manyShards(SHARD_CACHE_PAGE_SIZE + 1));
  t.deepEqual(await cacheKeys(t.context.client, app), ['s#0000', 's#0001']);
  const first = await t.context.client.send(new GetItemCommand({ TableName: TABLE, Key: marshall({ pk: `shard_cache#${app}`, sk: 's#0000' }), ConsistentRead: true }));
  const firstPage = unmarshall(first.Item!);
  t.is((firstPage['shards'] as unknown[]).length, SHARD_CACHE_PAGE_SIZE);
  t.is((firstPage['page_digests'] as unknown[]).length, 2);
  // and back to one page: kinesumer's item again, no pages left
  await store.updateShards(app, 's', one);
  t.deepEqual(await cacheKeys(t.context.client, app), ['s']);
});

test('pages of two different writes are noticed: read as no cache, reported, and the next write mends it', async (t) => {
  const { store, errors } = storeOf(t);
  const app = uniqueApp();
  const shards = manyShards(2 * SHARD_CACHE_PAGE_SIZE);
  await store.updateShards(app, 's', shards);
  // a leader that died between writing page 1 and page 0 of a newer list
  const newer: CachedShard[] = manyShards(SHARD_CACHE_PAGE_SIZE, SHARD_CACHE_PAGE_SIZE + 7);
  await t.context.client.send(
    new UpdateItemCommand({
      TableName: TABLE,
      Key: marshall({ pk: `shard_cache#${app}`, sk: 's#0001' }),
      UpdateExpression: 'SET shards = :s',
      ExpressionAttributeValues: marshall({ ':s': newer.map((s) => ({ ID: s.id, Closed: s.closed, ParentShardId: s.parentShardId, StartingSequenceNumber: s.startingSequenceNumber })) }),
    }),
  );
  t.is(await store.getShards(app, 's'), undefined);
  t.is(errors.length, 1);
  t.true(errors[0] instanceof StateStoreError);
  t.regex(errors[0]!.message, /pages of the shard cache of stream "s" do not match/);
  await store.updateShards(app, 's', shards);
  t.deepEqual(await store.getShards(app, 's'), shards);
});

test('a page past 400 KB (ids far longer than Kinesis gives) is refused with a StateStoreError naming the stream, and nothing is written', async (t) => {
  const { store } = storeOf(t);
  const app = uniqueApp();
  const long = Array.from({ length: SHARD_CACHE_PAGE_SIZE }, (_, i) => ({ id: `shardId-${String(i).padStart(12, '0')}-${'x'.repeat(500)}`, closed: false }));
  const err = await t.throwsAsync(store.updateShards(app, 'wide', long), { instanceOf: StateStoreError });
  t.regex(err!.message, /stream "wide".*400 KB/);
  t.false(err!.retriable);
  t.deepEqual(await cacheKeys(t.context.client, app), []);
});
