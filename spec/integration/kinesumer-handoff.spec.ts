/**
 * A group moving between rx-kinesumer and kinesumer (Go) on one table, with the group stopped in
 * between, against kinesis-local and dynalite. kinesumer is played by a reader that follows its
 * rules (spec/helpers/kinesumer-rules.ts): checkpoints from a BatchGetItem, `sequence_number`
 * read as a string, AFTER_SEQUENCE_NUMBER from it, LATEST without an item, raw records.
 */
import anyTest, { type TestFn } from 'ava';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ListShardsCommand, PutRecordCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { filter, tap } from 'rxjs';
import { checkpoint } from '../../src/checkpoint/checkpoint.js';
import { createKinesumer, type Kinesumer } from '../../src/index.js';
import { silentLogger } from '../../src/logger.js';
import type { KinesumerRecord } from '../../src/record.js';
import { createStream, localDynamoClient, localKinesisClient, uniqueName, waitFor } from '../helpers/aws-fixtures.js';
import { localAws } from '../helpers/emulators.js';
import {
  goUpdateCheckPoints,
  kinesumerStartOf,
  listCheckPoints,
  rawCheckpointItem,
  readShard,
  userPayloads,
  type KinesumerShardRead,
} from '../helpers/kinesumer-rules.js';
import { aggregateRecords } from '../helpers/kpl.js';
import { withEmulators, type EmulatorContext } from '../helpers/with-emulators.js';

const test = anyTest as TestFn<EmulatorContext>;
const TABLE = 'state';
withEmulators(test, TABLE);

const text = (r: KinesumerRecord) => new TextDecoder().decode(r.data);

/** The stream's shards by role, each with a hash key that lands in it. */
interface Shards {
  plain: string;
  idle: string;
  kpl: string;
  first: string;
  hashKey: Map<string, string>;
}

async function shardsOf(client: KinesisClient, stream: string): Promise<Shards> {
  const listed = (await client.send(new ListShardsCommand({ StreamName: stream }))).Shards ?? [];
  const [plain, idle, kpl, first] = listed.map((s) => s.ShardId!);
  return { plain: plain!, idle: idle!, kpl: kpl!, first: first!, hashKey: new Map(listed.map((s) => [s.ShardId!, s.HashKeyRange!.StartingHashKey!])) };
}

async function put(client: KinesisClient, stream: string, shards: Shards, shardId: string, data: Uint8Array | string): Promise<void> {
  await client.send(
    new PutRecordCommand({
      StreamName: stream,
      PartitionKey: 'p',
      ExplicitHashKey: shards.hashKey.get(shardId)!,
      Data: typeof data === 'string' ? new TextEncoder().encode(data) : data,
    }),
  );
}

async function putAggregate(client: KinesisClient, stream: string, shards: Shards, shardId: string, prefix: string): Promise<void> {
  const [data] = await aggregateRecords(Array.from({ length: 10 }, (_, i) => ({ partitionKey: `k${i}`, data: `${prefix}-u${i}` })));
  await put(client, stream, shards, shardId, data!);
}

/** Plain records `${prefix}-0` ... into each shard, their texts by shard. */
async function putEach(client: KinesisClient, stream: string, shards: Shards, prefix: string, count: number): Promise<Map<string, string[]>> {
  const byShard = new Map<string, string[]>();
  for (const [role, shardId] of Object.entries({ plain: shards.plain, idle: shards.idle, kpl: shards.kpl, first: shards.first })) {
    const texts = Array.from({ length: count }, (_, i) => `${prefix}-${role}-${i}`);
    for (const data of texts) await put(client, stream, shards, shardId, data);
    byShard.set(shardId, texts);
  }
  return byShard;
}

/**
 * Runs one rx-kinesumer member until it delivered `expected` records, marking the records of a
 * shard only up to its cutoff (`undefined`: all of them), then closes it. Returns what it
 * delivered, by shard, in order.
 */
async function runRx(t: { context: EmulatorContext }, app: string, stream: string, expected: number, cutoffs: ReadonlySet<string> = new Set()): Promise<Map<string, string[]>> {
  const consumer: Kinesumer = createKinesumer({
    app,
    kinesis: { endpoint: t.context.kinesis.endpoint, ...localAws, http1: true },
    stateStore: { table: TABLE, endpoint: t.context.dynamo.endpoint, ...localAws },
    initialPosition: 'TRIM_HORIZON',
    group: { syncInterval: 300, clientTimeout: 3000 },
    polling: { idleInterval: 200 },
    logger: silentLogger,
  });
  const delivered = new Map<string, string[]>();
  let count = 0;
  const stopped = new Set<string>();
  const sub = consumer
    .consume([stream])
    .pipe(
      tap((r) => {
        delivered.set(r.shardId, [...(delivered.get(r.shardId) ?? []), text(r)]);
        count += 1;
      }),
      filter((r) => !stopped.has(r.shardId)),
      tap((r) => {
        if (cutoffs.has(text(r))) stopped.add(r.shardId);
      }),
      checkpoint(consumer),
    )
    .subscribe();
  try {
    await waitFor(() => count >= expected, 20_000, `${expected} records`);
    // nothing more is coming: a short wait shows repeats, if there were any
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    await consumer.close();
    sub.unsubscribe();
  }
  return delivered;
}

/** kinesumer's resume of every shard in the shard cache (IDs from rx-kinesumer's cache). */
async function readAsKinesumer(t: { context: EmulatorContext }, app: string, stream: string): Promise<Map<string, KinesumerShardRead>> {
  const db = localDynamoClient(t.context.dynamo.endpoint);
  const kinesis = localKinesisClient(t.context.kinesis.endpoint);
  const cache = await db.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: `shard_cache#${app}` }, sk: { S: stream } }, ConsistentRead: true }));
  const ids = (cache.Item?.['shards']?.L ?? []).map((entry) => entry.M!['ID']!.S!);
  const seqMap = await listCheckPoints(db, TABLE, app, stream, ids);
  const reads = new Map<string, KinesumerShardRead>();
  for (const id of ids) {
    const seqNum = seqMap.get(id);
    reads.set(id, await readShard(kinesis, stream, id, seqNum === undefined ? { type: 'LATEST' } : { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: seqNum }));
  }
  return reads;
}

test('rx-kinesumer → kinesumer → rx-kinesumer on one table: every record is read after each handoff, the idle shard and a half-read KPL aggregate included', async (t) => {
  const kinesis = localKinesisClient(t.context.kinesis.endpoint);
  const db = localDynamoClient(t.context.dynamo.endpoint);
  const stream = uniqueName('handoff');
  const app = 'handoff-app';
  await createStream(kinesis, stream, 4);
  const shards = await shardsOf(kinesis, stream);
  // given: plain records in one shard, none in another, two aggregates in a third, and an
  // aggregate as the very first record of the fourth
  for (let i = 0; i < 10; i++) await put(kinesis, stream, shards, shards.plain, `p${i}`);
  await putAggregate(kinesis, stream, shards, shards.kpl, 'agg0');
  await putAggregate(kinesis, stream, shards, shards.kpl, 'agg1');
  await putAggregate(kinesis, stream, shards, shards.first, 'first');

  // when rx-kinesumer processes part of each (stopping inside both aggregates) and closes
  await runRx(t, app, stream, 40, new Set(['p4', 'agg1-u4', 'first-u3']));
  const processed = new Set(['p0', 'p1', 'p2', 'p3', 'p4', ...[0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => `agg0-u${i}`), 'agg1-u0', 'agg1-u1', 'agg1-u2', 'agg1-u3', 'agg1-u4', 'first-u0', 'first-u1', 'first-u2', 'first-u3']);
  const items = await Promise.all([shards.plain, shards.idle, shards.kpl, shards.first].map((id) => rawCheckpointItem(db, TABLE, app, stream, id)));
  t.log('items left by rx-kinesumer:', JSON.stringify(items));
  for (const item of items) {
    const start = kinesumerStartOf(item);
    if (start.type === 'AFTER_SEQUENCE_NUMBER') t.regex(start.sequenceNumber, /^\d+$/, 'every item kinesumer finds has a sequence number');
  }
  // and records arrive while nobody consumes
  const late = await putEach(kinesis, stream, shards, 'late', 2);

  // then kinesumer, resuming from the table, reads every record rx-kinesumer did not process
  const goRead = await readAsKinesumer(t, app, stream);
  const all = [...[0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => `p${i}`), ...['agg0', 'agg1', 'first'].flatMap((a) => [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => `${a}-u${i}`)), ...[...late.values()].flat()];
  const remaining = all.filter((r) => !processed.has(r));
  const byGo = new Set([...goRead.values()].flatMap((read) => userPayloads(read.records)));
  t.deepEqual(remaining.filter((r) => !byGo.has(r)), [], 'records kinesumer would lose');
  t.deepEqual([...goRead.values()].flatMap((read) => read.errors), [], 'errors kinesumer would get');
  // (a partly processed aggregate is read again whole: its processed user records are repeated)
  t.true(byGo.has('agg1-u0') && !byGo.has('agg0-u9'), 'kinesumer resumes at the half-read aggregate, not before the whole one');

  // and rx-kinesumer itself, resuming from what it wrote, starts exactly at the next user record
  const again = await runRx(t, app, stream, remaining.length);
  t.deepEqual(again.get(shards.plain), ['p5', 'p6', 'p7', 'p8', 'p9', ...late.get(shards.plain)!]);
  t.deepEqual(again.get(shards.idle), late.get(shards.idle));
  t.deepEqual(again.get(shards.kpl), ['agg1-u5', 'agg1-u6', 'agg1-u7', 'agg1-u8', 'agg1-u9', ...late.get(shards.kpl)!]);
  t.deepEqual(again.get(shards.first), ['first-u4', 'first-u5', 'first-u6', 'first-u7', 'first-u8', 'first-u9', ...late.get(shards.first)!]);

  // when kinesumer takes over again: it has nothing to repeat, reads what comes, and commits
  const caughtUp = await readAsKinesumer(t, app, stream);
  t.deepEqual([...caughtUp.values()].flatMap((read) => userPayloads(read.records)), [], 'kinesumer repeats nothing rx-kinesumer processed whole');
  const forGo = await putEach(kinesis, stream, shards, 'go', 2);
  const goConsumed = await readAsKinesumer(t, app, stream);
  t.deepEqual(new Set([...goConsumed.values()].flatMap((read) => userPayloads(read.records))), new Set([...forGo.values()].flat()));
  // (kinesumer in the Asia/Seoul zone: nanoseconds and a +09:00 offset in last_update)
  const goCheckpoints = new Map([...goConsumed].map(([id, read]) => [id, read.records.at(-1)!.SequenceNumber!]));
  await goUpdateCheckPoints(db, TABLE, app, stream, goCheckpoints, '2024-03-01T21:00:00.123456789+09:00');

  // then rx-kinesumer resumes after kinesumer's checkpoints: the new records, and nothing else
  const afterGo = await putEach(kinesis, stream, shards, 'after-go', 2);
  const back = await runRx(t, app, stream, 8);
  for (const [shardId, texts] of afterGo) t.deepEqual(back.get(shardId), texts, shardId);
});
