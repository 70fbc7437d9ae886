/**
 * Enhanced fan-out against real emulators: kinesis-local (SubscribeToShard over HTTP/1.1, as
 * NOTES.md says) and dynalite, started on free ports for this file and stopped even when a test
 * fails. Two clients share a stream, a restarted group resumes from its checkpoints, a split while
 * consuming keeps every key in order, and many subscribe/unsubscribe cycles leave no open handles.
 */
import anyTest, { type TestFn } from 'ava';
import {
  DescribeStreamSummaryCommand,
  ListShardsCommand,
  ListStreamConsumersCommand,
  PutRecordsCommand,
  SplitShardCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { asyncScheduler, firstValueFrom, of, tap, type Subscription } from 'rxjs';
import { checkpoint } from '../../src/checkpoint/checkpoint.js';
import { KinesumerError } from '../../src/errors.js';
import { SdkKinesisApi } from '../../src/kinesis/sdk-kinesis-api.js';
import { createKinesumer, type Kinesumer } from '../../src/index.js';
import { efoReader } from '../../src/shard/efo-reader.js';
import type { KinesumerRecord } from '../../src/record.js';
import { createStateTable } from '../../src/state-store/dynamodb/create-table.js';
import { createStream, localDynamoClient, localKinesisClient, putRecords, uniqueName, waitFor } from '../helpers/aws-fixtures.js';
import { localAws, startDynalite, startKinesisLocal, type Emulator } from '../helpers/emulators.js';

const test = anyTest as TestFn<{ kinesis: Emulator; dynamo: Emulator; table: string }>;

test.before(async (t) => {
  const [kinesis, dynamo] = await Promise.all([startKinesisLocal(), startDynalite()]);
  const table = 'efo-state';
  await createStateTable(localDynamoClient(dynamo.endpoint), table);
  t.context = { kinesis, dynamo, table };
});

test.after.always(async (t) => {
  await Promise.all([t.context.kinesis?.stop(), t.context.dynamo?.stop()]);
});

const text = (r: KinesumerRecord) => new TextDecoder().decode(r.data);

function member(t: { context: { kinesis: Emulator; dynamo: Emulator; table: string } }, app: string, clientId: string): Kinesumer {
  return createKinesumer({
    app,
    clientId,
    kinesis: { endpoint: t.context.kinesis.endpoint, ...localAws, http1: true },
    stateStore: { table: t.context.table, endpoint: t.context.dynamo.endpoint, ...localAws },
    initialPosition: 'TRIM_HORIZON',
    group: { syncInterval: 300, clientTimeout: 3000 },
    commit: { interval: 300 },
    retry: { initialDelay: 100, maxDelay: 2000 },
    efo: true,
  });
}

/**
 * Errors a passing run may report, all retried: a slow emulator's call timeouts, and
 * ResourceInUseException when a shard moved to another client before kinesis-local let go of the
 * previous owner's subscription (it does at its next event, within about a second).
 */
const transient = (e: KinesumerError) => e.retriable && (/no answer within/.test(e.message) || e.code === 'KINESIS_RESOURCE_IN_USE');

/** Sockets and other handles that keep the process alive, by type. */
function handles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

// Serial: it counts the process's open handles, which concurrent tests would disturb.
test.serial('subscribing and unsubscribing 40 times leaves no open socket or timer behind', async (t) => {
  const client = localKinesisClient(t.context.kinesis.endpoint);
  const api = new SdkKinesisApi(client);
  const stream = uniqueName('efo-handles');
  await createStream(client, stream, 4);
  await putRecords(client, stream, 'h', 40);
  const { streamArn } = await firstValueFrom(api.describeStreamSummary(stream));
  const consumers: string[] = [];
  // kinesis-local holds a consumer's lease on a shard until about a second after the client went
  // away: rounds take turns with five consumers, so that no round waits on the previous ones
  const names = ['c0', 'c1', 'c2', 'c3', 'c4'];
  for (const name of names) await firstValueFrom(api.registerStreamConsumer(stream, streamArn, name));
  for (const name of names) {
    for (;;) {
      const consumer = await firstValueFrom(api.describeStreamConsumer(stream, streamArn, name));
      if (consumer?.status === 'ACTIVE') {
        consumers.push(consumer.consumerArn);
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const shardIds = Array.from({ length: 4 }, (_, i) => `shardId-${String(i).padStart(12, '0')}`);
  const reported: string[] = [];
  let stuck = 0;
  // One round: a reader per shard. Even rounds leave after the first record (the response is
  // streaming), odd rounds after 300 ms (kinesis-local sends the first event after a second, so
  // the request still waits for its answer).
  const round = (n: number) =>
    Promise.all(
      shardIds.map(
        (shardId) =>
          new Promise<void>((resolve) => {
            const reader$ = efoReader<string>({
              stream,
              shardId,
              start: { type: 'TRIM_HORIZON' },
              consumerArn$: of(consumers[n % consumers.length]!),
              kinesis: api,
              scheduler: asyncScheduler,
              retry: { initialDelay: 100, maxDelay: 1000 },
              report: (err) => reported.push(err.code),
              toRecords: (records) => records.map((r) => r.SequenceNumber ?? ''),
            });
            let sub: Subscription | undefined;
            let cap: NodeJS.Timeout | undefined;
            let left = false;
            const leave = () => {
              if (left) return;
              left = true;
              clearTimeout(cap);
              sub?.unsubscribe();
              resolve();
            };
            sub = reader$.subscribe(() => {
              if (n % 2 === 0) leave();
            });
            if (left) sub.unsubscribe();
            if (n % 2 === 1) setTimeout(leave, 300);
            // a reader that cannot subscribe (an old subscription still open) fails the test, not hangs it
            cap = setTimeout(() => {
              stuck += 1;
              leave();
            }, 10_000);
          }),
      ),
    );

  // given one round to warm up (agents, DNS, the SDK's lazy modules)
  await round(0);
  await round(1);
  await new Promise((r) => setTimeout(r, 500));
  const before = handles();
  // when 40 more subscriptions are opened and torn down
  for (let n = 2; n < 12; n++) await round(n);
  await new Promise((r) => setTimeout(r, 500));
  // then nothing was left open
  const after = handles();
  t.is(stuck, 0);
  t.deepEqual(after, before, `open handles before ${JSON.stringify(before)}, after ${JSON.stringify(after)}`);
  t.is(after['TCPSocketWrap'] ?? 0, before['TCPSocketWrap'] ?? 0);
  t.deepEqual(
    reported.filter((code) => code !== 'KINESIS_RESOURCE_IN_USE'),
    [],
  );
});

test('two clients in EFO mode share a 4-shard stream 2/2 and deliver every record; the leader registers one consumer', async (t) => {
  const client = localKinesisClient(t.context.kinesis.endpoint);
  const stream = uniqueName('efo-share');
  await createStream(client, stream, 4);
  const before = await putRecords(client, stream, 'before', 400);

  const members = ['e1', 'e2'].map((id) => member(t, 'efo-share-app', id));
  const seen = new Map<string, number>();
  const errors: KinesumerError[] = [];
  const owned = members.map(() => [] as string[]);
  const subs: Subscription[] = members.map((m, i) => {
    m.errors$.subscribe((e) => errors.push(e));
    m.assignment$.subscribe((a) => (owned[i] = a[stream] ?? []));
    return m
      .consume([stream])
      .pipe(
        tap((r) => seen.set(text(r), (seen.get(text(r)) ?? 0) + 1)),
        checkpoint(m),
      )
      .subscribe();
  });
  try {
    await waitFor(() => before.every((p) => seen.has(p)), 20_000, 'the preloaded records');
    const during = await putRecords(client, stream, 'during', 200);
    await waitFor(() => during.every((p) => seen.has(p)), 20_000, 'the records put while consuming');
    await waitFor(() => owned.every((o) => o.length === 2), 10_000, 'a 2/2 split');
    t.deepEqual(owned.flat().sort(), Array.from({ length: 4 }, (_, i) => `shardId-${String(i).padStart(12, '0')}`));
    t.is(seen.size, 600);
    // one consumer, with kinesumer's name: app-<region>
    const { StreamDescriptionSummary } = await client.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
    const listed = await client.send(new ListStreamConsumersCommand({ StreamARN: StreamDescriptionSummary!.StreamARN }));
    t.deepEqual(
      listed.Consumers?.map((c) => [c.ConsumerName, c.ConsumerStatus]),
      [['efo-share-app-us-east-1', 'ACTIVE']],
    );
    t.deepEqual(errors.filter((e) => !transient(e)), []);
  } finally {
    await Promise.all(members.map((m) => m.close()));
    subs.forEach((s) => s.unsubscribe());
  }
});

test('a restarted EFO group resumes after its checkpoints: nothing lost, nothing committed delivered again', async (t) => {
  const client = localKinesisClient(t.context.kinesis.endpoint);
  const stream = uniqueName('efo-restart');
  await createStream(client, stream, 4);
  const first = await putRecords(client, stream, 'first', 200);

  const run = async (expected: string[]) => {
    const consumer = member(t, 'efo-restart-app', 'r1');
    const got: string[] = [];
    const errors: KinesumerError[] = [];
    consumer.errors$.subscribe((e) => errors.push(e));
    const sub = consumer
      .consume([stream])
      .pipe(
        tap((r) => got.push(text(r))),
        checkpoint(consumer),
      )
      .subscribe();
    try {
      await waitFor(() => expected.every((e) => got.includes(e)), 20_000, 'the records');
    } finally {
      await consumer.close(); // commits every mark
      sub.unsubscribe();
    }
    return { got, errors };
  };

  // given a group that consumed and committed the first 200 records, then stopped
  const one = await run(first);
  t.is(new Set(one.got).size, 200);
  // when 100 more arrive while it is down, and it starts again
  const second = await putRecords(client, stream, 'second', 100);
  const two = await run(second);
  // then it delivers exactly the new ones: it resumed after the checkpoints
  t.deepEqual([...two.got].sort(), [...second].sort());
  t.deepEqual([...one.errors, ...two.errors].filter((e) => !transient(e)), []);
});

const KEYS = 16;

test('a split while two EFO clients consume delivers every record, and every key in order', async (t) => {
  const client = localKinesisClient(t.context.kinesis.endpoint);
  const stream = uniqueName('efo-split');
  await createStream(client, stream, 2);
  const written: string[] = [];
  let counter = 0;
  const batch = async () => {
    const n = counter++;
    const records = Array.from({ length: KEYS }, (_, k) => `key-${k}:${n}`);
    const out = await client.send(
      new PutRecordsCommand({
        StreamName: stream,
        Records: records.map((r) => ({ Data: new TextEncoder().encode(r), PartitionKey: r.split(':')[0]! })),
      }),
    );
    if (out.FailedRecordCount) throw new Error(`${out.FailedRecordCount} records failed`);
    written.push(...records);
  };
  for (let i = 0; i < 10; i++) await batch();

  const members = ['s1', 's2'].map((id) => member(t, 'efo-split-app', id));
  const delivered: string[] = [];
  const errors: KinesumerError[] = [];
  const subs = members.map((m) => {
    m.errors$.subscribe((e) => errors.push(e));
    return m
      .consume([stream])
      .pipe(
        tap((r) => delivered.push(text(r))),
        checkpoint(m),
      )
      .subscribe();
  });
  try {
    await waitFor(() => written.every((w) => delivered.includes(w)), 20_000, 'the records before the split');
    // when a shard splits while the group reads it, with writes before, during and after
    for (let i = 0; i < 5; i++) await batch();
    const [parent] = (await client.send(new ListShardsCommand({ StreamName: stream }))).Shards ?? [];
    const lo = BigInt(parent!.HashKeyRange!.StartingHashKey!);
    const hi = BigInt(parent!.HashKeyRange!.EndingHashKey!);
    await client.send(new SplitShardCommand({ StreamName: stream, ShardToSplit: parent!.ShardId, NewStartingHashKey: ((lo + hi) / 2n).toString() }));
    for (let i = 0; i < 5; i++) await batch();
    await waitForOpenShards(client, stream, 3);
    for (let i = 0; i < 10; i++) await batch();

    // then every record is delivered
    await waitFor(() => written.every((w) => delivered.includes(w)), 30_000, 'every record');
    // and for every key the first deliveries come in counter order: the parent was read to its
    // end before its children started
    const firstSeen = new Map<string, number[]>();
    const once = new Set<string>();
    for (const d of delivered) {
      if (once.has(d)) continue;
      once.add(d);
      const [key, n] = d.split(':');
      firstSeen.set(key!, [...(firstSeen.get(key!) ?? []), Number(n)]);
    }
    for (const [key, counters] of firstSeen) t.deepEqual(counters, [...counters].sort((a, b) => a - b), `order of ${key}`);
    t.is(once.size, written.length);
    // as in the polling resharding test, a shard may be lost in a handoff race (not fatal)
    t.deepEqual(errors.filter((e) => !transient(e) && e.code !== 'SHARD_LOST'), []);
  } finally {
    await Promise.all(members.map((m) => m.close()));
    subs.forEach((s) => s.unsubscribe());
  }
});

async function waitForOpenShards(client: KinesisClient, stream: string, open: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const list = (await client.send(new ListShardsCommand({ StreamName: stream }))).Shards ?? [];
    if (list.filter((s) => !s.SequenceNumberRange?.EndingSequenceNumber).length === open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`stream ${stream} did not reach ${open} open shards`);
}
