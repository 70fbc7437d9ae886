/**
 * Resharding while a group consumes, against real kinesis-local and dynalite: a split and then a
 * merge, with a producer writing a counter per partition key. Every record must be delivered, and
 * for every key the first deliveries must come in counter order (parents are read to their end
 * before their children start).
 */
import anyTest, { type TestFn } from 'ava';
import {
  DeleteStreamCommand,
  ListShardsCommand,
  MergeShardsCommand,
  PutRecordsCommand,
  SplitShardCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { tap, type Subscription } from 'rxjs';
import { checkpoint } from '../../src/checkpoint/checkpoint.js';
import type { KinesumerError } from '../../src/errors.js';
import { createKinesumer, type Kinesumer } from '../../src/index.js';
import { createStream, localKinesisClient, putRecords, uniqueName, waitFor, waitUntilActive } from '../helpers/aws-fixtures.js';
import { localAws } from '../helpers/emulators.js';
import { withEmulators, type EmulatorContext } from '../helpers/with-emulators.js';

const test = anyTest as TestFn<EmulatorContext>;

withEmulators(test, 'state');

const KEYS = 24;

/** Writes one record per key per batch, so a key's counter order is the order of the batches. */
class CountingProducer {
  readonly written: string[] = [];
  private counter = 0;
  constructor(
    private readonly client: KinesisClient,
    private readonly stream: string,
  ) {}
  async batch(): Promise<void> {
    const n = this.counter++;
    const records = Array.from({ length: KEYS }, (_, k) => `key-${k}:${n}`);
    const out = await this.client.send(
      new PutRecordsCommand({
        StreamName: this.stream,
        Records: records.map((r) => ({ Data: new TextEncoder().encode(r), PartitionKey: r.split(':')[0]! })),
      }),
    );
    if (out.FailedRecordCount) throw new Error(`${out.FailedRecordCount} records failed`);
    this.written.push(...records);
  }
}

async function shards(client: KinesisClient, stream: string) {
  return (await client.send(new ListShardsCommand({ StreamName: stream }))).Shards ?? [];
}

async function waitForShardCount(client: KinesisClient, stream: string, open: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const list = await shards(client, stream);
    if (list.filter((s) => !s.SequenceNumberRange?.EndingSequenceNumber).length === open) return waitUntilActive(client, stream);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`stream ${stream} did not reach ${open} open shards`);
}

test('splits and a merge, before and while three clients consume: every record delivered, every key in order', async (t) => {
  const client = localKinesisClient(t.context.kinesis.endpoint);
  const stream = uniqueName('reshard');
  await createStream(client, stream, 2);
  const producer = new CountingProducer(client, stream);

  // given a backlog that spans a split and a merge, written before the group starts
  for (let i = 0; i < 10; i++) await producer.batch();
  const [first, second] = await shards(client, stream);
  const lo = BigInt(first!.HashKeyRange!.StartingHashKey!);
  const hi = BigInt(first!.HashKeyRange!.EndingHashKey!);
  await client.send(new SplitShardCommand({ StreamName: stream, ShardToSplit: first!.ShardId, NewStartingHashKey: ((lo + hi) / 2n).toString() }));
  await waitForShardCount(client, stream, 3);
  for (let i = 0; i < 10; i++) await producer.batch();
  const upper = (await shards(client, stream)).find(
    (s) => s.ParentShardId === first!.ShardId && s.HashKeyRange?.EndingHashKey === first!.HashKeyRange?.EndingHashKey,
  );
  await client.send(new MergeShardsCommand({ StreamName: stream, ShardToMerge: upper!.ShardId, AdjacentShardToMerge: second!.ShardId }));
  await waitForShardCount(client, stream, 2);
  for (let i = 0; i < 10; i++) await producer.batch();

  const delivered: string[] = [];
  const errors: KinesumerError[] = [];
  const members: Kinesumer[] = ['r1', 'r2', 'r3'].map((id) =>
    createKinesumer({
      app: 'reshard-app',
      clientId: id,
      kinesis: { endpoint: t.context.kinesis.endpoint, ...localAws, http1: true },
      stateStore: { table: 'state', endpoint: t.context.dynamo.endpoint, ...localAws },
      initialPosition: 'TRIM_HORIZON',
      group: { syncInterval: 300, clientTimeout: 3000 },
      commit: { interval: 300 },
      // small pages, so a backlog takes several calls and readers of parents and children would
      // interleave if children did not wait for their parents
      polling: { idleInterval: 200, scanLimit: 25 },
    }),
  );
  const subs: Subscription[] = members.map((m) => {
    m.errors$.subscribe((e) => errors.push(e));
    return m
      .consume([stream])
      .pipe(
        tap((r) => delivered.push(new TextDecoder().decode(r.data))),
        checkpoint(m),
      )
      .subscribe();
  });

  try {
    // when, while the group consumes, the merged shard splits again
    for (let i = 0; i < 10; i++) await producer.batch();
    const merged = (await shards(client, stream)).find((s) => s.AdjacentParentShardId !== undefined && s.AdjacentParentShardId !== null);
    const mlo = BigInt(merged!.HashKeyRange!.StartingHashKey!);
    const mhi = BigInt(merged!.HashKeyRange!.EndingHashKey!);
    await client.send(new SplitShardCommand({ StreamName: stream, ShardToSplit: merged!.ShardId, NewStartingHashKey: ((mlo + mhi) / 2n).toString() }));
    for (let i = 0; i < 10; i++) await producer.batch();
    await waitForShardCount(client, stream, 3);
    for (let i = 0; i < 10; i++) await producer.batch();

    // then every record is delivered
    const seen = new Set<string>();
    await waitFor(
      () => {
        for (const d of delivered) seen.add(d);
        return producer.written.every((w) => seen.has(w));
      },
      30_000,
      'every record to be delivered',
    );
    // and for every key, the first deliveries come in counter order
    const firstSeen = new Map<string, number[]>();
    const once = new Set<string>();
    for (const d of delivered) {
      if (once.has(d)) continue;
      once.add(d);
      const [key, n] = d.split(':');
      firstSeen.set(key!, [...(firstSeen.get(key!) ?? []), Number(n)]);
    }
    for (const [key, counters] of firstSeen) {
      t.deepEqual(counters, [...counters].sort((a, b) => a - b), `order of ${key}`);
    }
    t.is(once.size, producer.written.length);
    // a slow emulator may time a call out (reported, retried); anything else is a failure
    t.deepEqual(
      errors.filter((e) => !(e.retriable && /no answer within/.test(e.message))),
      [],
    );
  } finally {
    await Promise.all(members.map((m) => m.close()));
    subs.forEach((s) => s.unsubscribe());
  }
});

test('a stream deleted and created again under the same name does not resume from the old checkpoints', async (t) => {
  const client = localKinesisClient(t.context.kinesis.endpoint);
  const stream = uniqueName('reborn');
  const config = {
    app: 'reborn-app',
    kinesis: { endpoint: t.context.kinesis.endpoint, ...localAws, http1: true },
    stateStore: { table: 'state', endpoint: t.context.dynamo.endpoint, ...localAws },
    initialPosition: 'TRIM_HORIZON' as const,
    group: { syncInterval: 300, clientTimeout: 3000 },
    commit: { interval: 300 },
    polling: { idleInterval: 200 },
  };
  const consumeAll = async (expected: string[]) => {
    const consumer = createKinesumer(config);
    const got: string[] = [];
    const sub = consumer
      .consume([stream])
      .pipe(
        tap((r) => got.push(new TextDecoder().decode(r.data))),
        checkpoint(consumer),
      )
      .subscribe();
    await waitFor(() => expected.every((e) => got.includes(e)), 20_000, 'the records');
    await consumer.close();
    sub.unsubscribe();
    return got;
  };
  // given a group that consumed and checkpointed 60 records of the first stream
  await createStream(client, stream, 1);
  await putRecords(client, stream, 'old', 60);
  await consumeAll(Array.from({ length: 60 }, (_, i) => `old-${i}`));
  // when the stream is deleted, created again, and gets 5 records
  await client.send(new DeleteStreamCommand({ StreamName: stream }));
  for (let i = 0; i < 50; i++) {
    try {
      await createStream(client, stream, 1);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 200)); // still deleting
    }
  }
  const fresh = await putRecords(client, stream, 'new', 5);
  // then the group reads the new stream from its start, not after the old stream's checkpoint
  const got = await consumeAll(fresh);
  t.deepEqual(got, fresh);
});
