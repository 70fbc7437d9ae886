/**
 * Seeking a running group, with members as processes on kinesis-local and dynalite: a seek to a
 * time replays exactly what came at and after it, a seek back before a split replays parents
 * before children (order per key), and a seek to LATEST skips the backlog.
 */
import anyTest, { type TestFn } from 'ava';
import { ListShardsCommand, PutRecordsCommand, SplitShardCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { seekGroup } from '../../src/group/seek-group.js';
import { createStream, localKinesisClient, putRecords, uniqueName, waitFor, waitUntilActive } from '../helpers/aws-fixtures.js';
import { localAws } from '../helpers/emulators.js';
import { MemberProcess, type MemberOptions, type Processed } from '../helpers/member-fleet.js';
import { withEmulators, type EmulatorContext } from '../helpers/with-emulators.js';

const test = anyTest as TestFn<EmulatorContext>;
const TABLE = 'seek-state';
withEmulators(test, TABLE);

const SYNC = 500;
const FAST = { syncInterval: SYNC, clientTimeout: 2000, commitInterval: 500, idleInterval: 200 };
/** A seek reaches every owner within two sync rounds, then the shard is taken again and read: generous for a loaded machine. */
const BOUND_MS = 2 * SYNC + 6000;

function options(t: { context: EmulatorContext }, app: string, stream: string, extra: Partial<MemberOptions> = {}): MemberOptions {
  return { app, stream, table: TABLE, kinesisEndpoint: t.context.kinesis.endpoint, dynamoEndpoint: t.context.dynamo.endpoint, ...FAST, ...extra };
}

function deps(t: { context: EmulatorContext }, app: string) {
  return {
    app,
    stateStore: { table: TABLE, endpoint: t.context.dynamo.endpoint, ...localAws },
    kinesis: { endpoint: t.context.kinesis.endpoint, ...localAws, http1: true },
  };
}

/** Resolves once no record was delivered for `ms`: the group settled (handoffs after a join may deliver some records twice). */
async function quiet(sink: Processed[], ms = 2000): Promise<void> {
  let seen = sink.length;
  let since = Date.now();
  await waitFor(() => {
    if (sink.length !== seen) [seen, since] = [sink.length, Date.now()];
    return Date.now() - since >= ms;
  }, 30_000, 'the group to settle');
}

function cleanup(t: { teardown: (fn: () => Promise<void>) => void }, ...members: MemberProcess[]): void {
  t.teardown(async () => {
    await Promise.all(members.map((m) => m.kill()));
  });
}

test.serial('a seek to a time while two members run: every record at or after it is delivered again, none before, each shard within the bound', async (t) => {
  const kinesis = localKinesisClient(t.context.kinesis.endpoint);
  const stream = uniqueName('seek-time');
  await createStream(kinesis, stream, 4);
  const app = uniqueName('seek-time-app');
  const sink: Processed[] = [];
  const members = [new MemberProcess('a', options(t, app, stream), sink), new MemberProcess('b', options(t, app, stream), sink)];
  cleanup(t, ...members);
  const before = await putRecords(kinesis, stream, 'before', 200);
  await waitFor(() => before.every((p) => sink.some((r) => r.data === p)), 30_000, 'the records before');
  await new Promise((r) => setTimeout(r, 300));
  const at = new Date();
  await new Promise((r) => setTimeout(r, 300));
  const after = await putRecords(kinesis, stream, 'after', 200);
  await waitFor(() => after.every((p) => sink.some((r) => r.data === p)), 30_000, 'the records after');
  await waitFor(() => new Set(sink.map((r) => r.member)).size === 2, 10_000, 'both members delivering');
  await quiet(sink);

  // when the group is sought back to `at`
  const seekAt = Date.now();
  const result = await seekGroup(deps(t, app), stream, at);
  t.deepEqual(result.shards.map((s) => [s.shardId, s.action, s.seek]), [0, 1, 2, 3].map((i) => [`shardId-00000000000${i}`, 'seek', 1]));
  const replayed = () => sink.filter((r) => r.t >= seekAt);
  await waitFor(() => after.every((p) => replayed().some((r) => r.data === p)), 30_000, 'every record after the time again');
  await new Promise((r) => setTimeout(r, 1500)); // nothing else may come
  await Promise.all(members.map((m) => m.stop()));

  // then: exactly the records at or after it again, none before
  t.deepEqual([...new Set(replayed().map((r) => r.data))].sort(), [...after].sort());
  t.true(replayed().every((r) => r.arrived! >= at.getTime()), 'nothing that arrived before the time');
  // each shard's first replayed record came within the bound
  const firstByShard = new Map<string, number>();
  for (const r of replayed()) if (!firstByShard.has(r.shard)) firstByShard.set(r.shard, r.t - seekAt);
  t.is(firstByShard.size, 4);
  for (const [shard, ms] of firstByShard) t.true(ms < BOUND_MS, `${shard}: first replayed record ${ms} ms after the seek`);
  t.log('ms from the seek to the first replayed record per shard:', JSON.stringify(Object.fromEntries([...firstByShard].sort())));
  t.true(members.every((m) => !/SHARD_LOST/.test(m.stderr)), `no shard reported lost: ${members.map((m) => m.stderr).join('\n')}`);
});

const KEYS = 12;

/** Writes one record per key, `key-<k>:<n>`, so a key's counter order is the order of the batches. */
async function batch(client: KinesisClient, stream: string, n: number, written: string[]): Promise<void> {
  const records = Array.from({ length: KEYS }, (_, k) => `key-${k}:${n}`);
  const out = await client.send(
    new PutRecordsCommand({ StreamName: stream, Records: records.map((r) => ({ Data: new TextEncoder().encode(r), PartitionKey: r.split(':')[0]! })) }),
  );
  if (out.FailedRecordCount) throw new Error(`${out.FailedRecordCount} records failed`);
  written.push(...records);
}

test.serial('a seek back to before a split replays the parent before its children: every key in order again', async (t) => {
  const kinesis = localKinesisClient(t.context.kinesis.endpoint);
  const stream = uniqueName('seek-split');
  await createStream(kinesis, stream, 1);
  const app = uniqueName('seek-split-app');
  const sink: Processed[] = [];
  const members = [new MemberProcess('a', options(t, app, stream), sink), new MemberProcess('b', options(t, app, stream), sink)];
  cleanup(t, ...members);
  const written: string[] = [];
  const at = new Date(Date.now() - 1000);
  for (let n = 0; n < 10; n++) await batch(kinesis, stream, n, written);
  // the split
  const [parent] = (await kinesis.send(new ListShardsCommand({ StreamName: stream }))).Shards!;
  const mid = (BigInt(parent!.HashKeyRange!.StartingHashKey!) + BigInt(parent!.HashKeyRange!.EndingHashKey!)) / 2n;
  await kinesis.send(new SplitShardCommand({ StreamName: stream, ShardToSplit: parent!.ShardId, NewStartingHashKey: mid.toString() }));
  await new Promise((r) => setTimeout(r, 700));
  await waitUntilActive(kinesis, stream);
  for (let n = 10; n < 20; n++) await batch(kinesis, stream, n, written);
  await waitFor(() => written.every((p) => sink.some((r) => r.data === p)), 40_000, 'every record once');
  await quiet(sink);
  // the parent is finished by now and its children read
  const seekAt = Date.now();
  const result = await seekGroup(deps(t, app), stream, at);
  t.deepEqual(
    result.shards.map((s) => [s.shardId, s.action]),
    [
      ['shardId-000000000000', 'seek'],
      ['shardId-000000000001', 'seek'],
      ['shardId-000000000002', 'seek'],
    ],
    'the parent first',
  );
  const replayed = () => sink.filter((r) => r.t >= seekAt);
  await waitFor(() => written.every((p) => replayed().some((r) => r.data === p)), 40_000, 'every record again');
  await Promise.all(members.map((m) => m.stop()));

  // every key's replay comes in counter order: the parent's records (0..9) before the children's (10..19)
  const firstSeen = new Map<string, number>();
  replayed().forEach((r, i) => firstSeen.has(r.data) || firstSeen.set(r.data, i));
  for (let k = 0; k < KEYS; k++) {
    const order = Array.from({ length: 20 }, (_, n) => firstSeen.get(`key-${k}:${n}`)!);
    t.deepEqual([...order].sort((a, b) => a - b), order, `key-${k} in order`);
  }
  const lastParent = Math.max(...replayed().filter((r) => r.shard === 'shardId-000000000000').map((r) => r.t));
  const firstChild = Math.min(...replayed().filter((r) => r.shard !== 'shardId-000000000000').map((r) => r.t));
  t.true(lastParent <= firstChild, `the parent was read to its end (${lastParent}) before a child started (${firstChild})`);
});

test.serial('a seek to LATEST skips the backlog a slow member has not read yet: it goes on with what arrives after', async (t) => {
  const kinesis = localKinesisClient(t.context.kinesis.endpoint);
  const stream = uniqueName('seek-latest');
  await createStream(kinesis, stream, 2);
  const app = uniqueName('seek-latest-app');
  const sink: Processed[] = [];
  // 20 ms a record: a 600-record backlog would take 12 s
  const member = new MemberProcess('slow', options(t, app, stream, { delayMs: 20, maxInFlight: 20 }), sink);
  cleanup(t, member);
  const backlog = await putRecords(kinesis, stream, 'backlog', 600);
  await waitFor(() => sink.length >= 20, 20_000, 'the member reading the backlog');
  await seekGroup(deps(t, app), stream, 'LATEST');
  // once the member restarted its shards (two rounds at most, and the in-flight records), new records come
  await new Promise((r) => setTimeout(r, 2 * SYNC + 1500));
  const fresh = await putRecords(kinesis, stream, 'fresh', 40);
  await waitFor(() => fresh.every((p) => sink.some((r) => r.data === p)), 20_000, 'the records after the seek');
  await new Promise((r) => setTimeout(r, 1000));
  await member.stop();
  const printedBacklog = sink.filter((r) => r.data.startsWith('backlog'));
  t.true(printedBacklog.length < backlog.length / 2, `most of the backlog skipped: ${printedBacklog.length} of ${backlog.length} delivered`);
  for (const shard of new Set(sink.map((r) => r.shard))) {
    const ofShard = sink.filter((r) => r.shard === shard);
    const firstFresh = ofShard.findIndex((r) => r.data.startsWith('fresh'));
    t.true(firstFresh >= 0, `${shard} delivered new records`);
    t.deepEqual(ofShard.slice(firstFresh).filter((r) => r.data.startsWith('backlog')).map((r) => r.data), [], `${shard}: no backlog record after the restart`);
  }
  t.is(new Set(sink.filter((r) => r.data.startsWith('fresh')).map((r) => r.data)).size, fresh.length);
});
