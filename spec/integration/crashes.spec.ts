/**
 * Members as real child processes against kinesis-local and dynalite: a SIGKILLed member's shards
 * are taken over and nothing is lost; a rolling restart of every member loses nothing; a stale
 * owner's checkpoint write is refused by the table's condition.
 */
import anyTest, { type TestFn } from 'ava';
import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { filter, firstValueFrom, tap, timeout } from 'rxjs';
import { ClosedError, ShardLostError } from '../../src/errors.js';
import { DynamoDBStateStore } from '../../src/state-store/dynamodb/dynamodb-state-store.js';
import { createKinesumer } from '../../src/index.js';
import type { KinesumerRecord } from '../../src/record.js';
import { createStream, localDynamoClient, localKinesisClient, putRecords, uniqueName, waitFor } from '../helpers/aws-fixtures.js';
import { localAws } from '../helpers/emulators.js';
import { withEmulators, type EmulatorContext } from '../helpers/with-emulators.js';
import { MemberProcess, type MemberOptions, type Processed } from '../helpers/member-fleet.js';

const test = anyTest as TestFn<EmulatorContext>;
const TABLE = 'state';
const TIMINGS = { syncInterval: 500, clientTimeout: 2000, commitInterval: 500, idleInterval: 200 };

withEmulators(test, TABLE);

/** Writes batches in the background until stopped; returns everything written. */
function startProducer(t: { context: EmulatorContext }, stream: string, prefix: string) {
  const client = localKinesisClient(t.context.kinesis.endpoint);
  const written: string[] = [];
  let running = true;
  let n = 0;
  const loop = (async () => {
    while (running) {
      written.push(...(await putRecords(client, stream, `${prefix}${n++}`, 30)));
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    written,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

const lostOf = (written: string[], processed: Processed[]) => {
  const seen = new Set(processed.map((p) => p.data));
  return written.filter((w) => !seen.has(w));
};

test('a SIGKILLed member: the others take its shards over and nothing is lost', async (t) => {
  const stream = uniqueName('kill');
  await createStream(localKinesisClient(t.context.kinesis.endpoint), stream, 6);
  const options: MemberOptions = {
    app: 'kill-app',
    stream,
    table: TABLE,
    kinesisEndpoint: t.context.kinesis.endpoint,
    dynamoEndpoint: t.context.dynamo.endpoint,
    ...TIMINGS,
  };
  const processed: Processed[] = [];
  const members = ['m1', 'm2', 'm3'].map((id) => new MemberProcess(id, options, processed));
  const producer = startProducer(t, stream, 'k');
  try {
    // given three members that each read their 2 shards
    const recentShards = (member: string, since: number) =>
      new Set(processed.filter((p) => p.member === member && p.t >= since).map((p) => p.shard));
    await waitFor(() => {
      const since = Date.now() - 1500;
      return members.every((m) => recentShards(m.id, since).size === 2);
    }, 30_000, 'a 2/2/2 split');
    const victimShards = [...recentShards('m2', Date.now() - 1500)];

    // when m2 is killed
    const killedAt = Date.now();
    await members[1]!.kill();

    // then survivors deliver from each of its shards again
    await waitFor(
      () => victimShards.every((s) => processed.some((p) => p.member !== 'm2' && p.shard === s && p.t > killedAt)),
      20_000,
      "the survivors to read the killed member's shards",
    );
    const takeover = Math.max(
      ...victimShards.map((s) => processed.find((p) => p.member !== 'm2' && p.shard === s && p.t > killedAt)!.t - killedAt),
    );
    t.log(`every orphaned shard delivered again ${takeover} ms after the kill (clientTimeout ${TIMINGS.clientTimeout}, syncInterval ${TIMINGS.syncInterval})`);

    // and once the producer stops, every record written was processed by someone
    await producer.stop();
    await waitFor(() => lostOf(producer.written, processed).length === 0, 20_000, 'every record to be processed');
    const duplicates = processed.length - new Set(processed.map((p) => p.data)).size;
    t.log(`${producer.written.length} records, 0 lost, ${duplicates} processed twice`);
    t.deepEqual(lostOf(producer.written, processed), []);
  } finally {
    await producer.stop();
    await Promise.all(members.map((m) => m.stop()));
  }
});

test('a rolling restart of every member loses nothing, and graceful handoffs repeat nothing', async (t) => {
  const stream = uniqueName('rolling');
  await createStream(localKinesisClient(t.context.kinesis.endpoint), stream, 4);
  const options: MemberOptions = {
    app: 'rolling-app',
    stream,
    table: TABLE,
    kinesisEndpoint: t.context.kinesis.endpoint,
    dynamoEndpoint: t.context.dynamo.endpoint,
    ...TIMINGS,
  };
  const processed: Processed[] = [];
  const members = ['a1', 'b1', 'c1'].map((id) => new MemberProcess(id, options, processed));
  const producer = startProducer(t, stream, 'r');
  try {
    await waitFor(() => new Set(processed.map((p) => p.member)).size === 3, 30_000, 'all three members to read');
    // when each member in turn is stopped gracefully and replaced by a new process
    for (let i = 0; i < members.length; i++) {
      await members[i]!.stop();
      const next = new MemberProcess(`${members[i]!.id[0]}2`, options, processed);
      members[i] = next;
      await waitFor(() => processed.some((p) => p.member === next.id), 30_000, `${next.id} to read`);
    }
    await producer.stop();
    await waitFor(() => lostOf(producer.written, processed).length === 0, 20_000, 'every record to be processed');

    // then nothing is lost, and nothing is processed twice: each close committed before releasing
    const counts = new Map<string, number>();
    for (const p of processed) counts.set(p.data, (counts.get(p.data) ?? 0) + 1);
    const twice = [...counts].filter(([, n]) => n > 1).map(([d]) => d);
    t.log(`${producer.written.length} records, 0 lost, ${twice.length} processed twice`);
    t.deepEqual(lostOf(producer.written, processed), []);
    t.deepEqual(twice, []);
  } finally {
    await producer.stop();
    await Promise.all(members.map((m) => m.stop()));
  }
});

test("a stale owner's checkpoint write is refused by the table: it reports ShardLostError and stops reading", async (t) => {
  const kinesis = localKinesisClient(t.context.kinesis.endpoint);
  const dynamo = localDynamoClient(t.context.dynamo.endpoint);
  const stream = uniqueName('fence');
  await createStream(kinesis, stream, 1);
  await putRecords(kinesis, stream, 'f', 5);
  const consumer = createKinesumer({
    app: 'fence-app',
    clientId: 'stale',
    kinesis: { endpoint: t.context.kinesis.endpoint, ...localAws, http1: true },
    stateStore: { table: TABLE, endpoint: t.context.dynamo.endpoint, ...localAws },
    initialPosition: 'TRIM_HORIZON',
    group: { syncInterval: 500, clientTimeout: 2000 },
    commit: { auto: false },
  });
  const got: KinesumerRecord[] = [];
  const sub = consumer
    .consume([stream])
    .pipe(tap((r) => got.push(r)))
    .subscribe();
  try {
    await waitFor(() => got.length === 5, 10_000, 'the first records');
    const lost = firstValueFrom(consumer.errors$.pipe(filter((e) => e instanceof ShardLostError), timeout(10_000)));
    // given another client took the shard over in the table (as after this client was counted dead)
    await dynamo.send(
      new UpdateItemCommand({
        TableName: TABLE,
        Key: { pk: { S: `check_point#fence-app#${stream}` }, sk: { S: 'shardId-000000000000' } },
        UpdateExpression: 'SET #o = :other',
        ExpressionAttributeNames: { '#o': 'owner' },
        ExpressionAttributeValues: { ':other': { S: 'newer-owner' } },
      }),
    );
    // when the stale owner commits what it processed
    consumer.markRecord(got[4]!);
    await consumer.commit();
    // then the write is refused and reported
    const err = (await lost) as ShardLostError;
    t.is(err.shardId, 'shardId-000000000000');
    t.is(err.stream, stream);
    const stored = (
      await dynamo.send(
        new GetItemCommand({ TableName: TABLE, Key: { pk: { S: `check_point#fence-app#${stream}` }, sk: { S: 'shardId-000000000000' } } }),
      )
    ).Item!;
    t.is((stored as { sequence_number?: unknown }).sequence_number, undefined, 'no checkpoint was written');
    t.deepEqual((stored as { owner?: unknown }).owner, { S: 'newer-owner' });
  } finally {
    sub.unsubscribe();
    await consumer.close();
  }
});

test('a record that reaches checkpoint() after its shard was released is ignored, not an error', async (t) => {
  const kinesis = localKinesisClient(t.context.kinesis.endpoint);
  const stream = uniqueName('late');
  await createStream(kinesis, stream, 1);
  await putRecords(kinesis, stream, 'l', 3);
  const consumer = createKinesumer({
    app: 'late-app',
    clientId: 'late',
    kinesis: { endpoint: t.context.kinesis.endpoint, ...localAws, http1: true },
    stateStore: { table: TABLE, endpoint: t.context.dynamo.endpoint, ...localAws },
    initialPosition: 'TRIM_HORIZON',
    group: { syncInterval: 500, clientTimeout: 2000 },
    commit: { auto: false },
  });
  const got: KinesumerRecord[] = [];
  const sub = consumer.consume([stream]).pipe(tap((r) => got.push(r))).subscribe();
  try {
    await waitFor(() => got.length === 3, 10_000, 'the records');
    consumer.markRecord(got[0]!);
    sub.unsubscribe(); // the group stops: marks are committed and every shard is released
    // when a record of the released shard reaches checkpoint() late, it is ignored
    t.notThrows(() => consumer.markRecord(got[2]!));
  } finally {
    sub.unsubscribe();
    await consumer.close();
  }
  const store = new DynamoDBStateStore({ table: TABLE, endpoint: t.context.dynamo.endpoint, ...localAws });
  const checkpoints = await store.getCheckpoints('late-app', stream);
  t.deepEqual(checkpoints.map((c) => c.sequenceNumber), [got[0]!.sequenceNumber]);
  // and after close() marking is a usage error
  t.throws(() => consumer.markRecord(got[2]!), { instanceOf: ClosedError });
  const states = await store.listShardStates('late-app', stream);
  t.is(states[0]?.owner, undefined, 'the shard was released');
});
