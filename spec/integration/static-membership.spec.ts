/**
 * A rolling restart with static membership against real emulators (kinesis-local, dynalite,
 * started on free ports for this file): three in-process members with stable ids are closed and
 * started again under the same id one after the other, as a deploy does with SIGTERM; no shard
 * moves to another member and no record is delivered twice.
 */
import anyTest, { type TestFn } from 'ava';
import { tap } from 'rxjs';
import { checkpoint } from '../../src/checkpoint/checkpoint.js';
import { createKinesumer, type Kinesumer } from '../../src/index.js';
import { silentLogger } from '../../src/logger.js';
import type { KinesumerRecord } from '../../src/record.js';
import { createStream, localKinesisClient, putRecords, uniqueName, waitFor } from '../helpers/aws-fixtures.js';
import { localAws } from '../helpers/emulators.js';
import { withEmulators, type EmulatorContext } from '../helpers/with-emulators.js';

const test = anyTest as TestFn<EmulatorContext>;
const TABLE = 'kinesumer-state-store';
withEmulators(test, TABLE);

const text = (r: KinesumerRecord) => new TextDecoder().decode(r.data);

test('a rolling restart of three static members under their ids moves no shard and repeats no record', async (t) => {
  const client = localKinesisClient(t.context.kinesis.endpoint);
  const stream = uniqueName('rolling');
  await createStream(client, stream, 6);
  const before = await putRecords(client, stream, 'before', 300);

  const seen = new Map<string, number>();
  /** Every take of a shard, by member id: [member, shard]. */
  const takes: Array<[string, string]> = [];
  const running = new Map<string, Kinesumer>();
  const owned = new Map<string, string[]>();
  const start = (id: string) => {
    const m = createKinesumer({
      app: 'rolling-app',
      clientId: id,
      kinesis: { endpoint: t.context.kinesis.endpoint, ...localAws, http1: true },
      stateStore: { table: TABLE, endpoint: t.context.dynamo.endpoint, ...localAws },
      initialPosition: 'TRIM_HORIZON',
      // clientTimeout: how long a stopped member's shards wait for it
      group: { syncInterval: 300, clientTimeout: 8000, staticMembership: true },
      commit: { interval: 300 },
      polling: { idleInterval: 200 },
      logger: silentLogger,
    });
    m.events$.subscribe((e) => e.type === 'shardAcquired' && takes.push([id, e.shardId]));
    m.owned$.subscribe((o) => owned.set(id, o[stream] ?? []));
    m.consume([stream]).pipe(tap((r) => seen.set(text(r), (seen.get(text(r)) ?? 0) + 1)), checkpoint(m)).subscribe();
    running.set(id, m);
  };
  const ids = ['m1', 'm2', 'm3'];
  try {
    // given three members sharing six shards two each, every preloaded record delivered
    ids.forEach(start);
    await waitFor(() => before.every((p) => seen.has(p)), 30_000, 'the preloaded records');
    await waitFor(() => ids.every((id) => owned.get(id)?.length === 2), 20_000, 'a 2/2/2 split');
    const held = new Map(ids.map((id) => [id, [...owned.get(id)!]]));
    takes.length = 0;

    // when each member in turn is closed and started again under its id, with records arriving
    let during: string[] = [];
    for (const id of ids) {
      await running.get(id)!.close();
      during = during.concat(await putRecords(client, stream, `during-${id}`, 30));
      start(id);
      await waitFor(() => owned.get(id)?.length === 2, 20_000, `${id} holding its shards again`);
    }
    await waitFor(() => during.every((p) => seen.has(p)), 30_000, 'the records put during the restarts');

    // then every take was a member taking back its own shards, and nobody else's
    t.deepEqual(
      takes.map(([id, shard]) => `${id}:${shard}`).sort(),
      ids.flatMap((id) => held.get(id)!.map((shard) => `${id}:${shard}`)).sort(),
    );
    t.deepEqual(new Map(ids.map((id) => [id, owned.get(id)])), held);
    // and every record was delivered once
    t.deepEqual([...seen.values()].filter((n) => n > 1), []);
    t.is(seen.size, before.length + during.length);
  } finally {
    await Promise.all([...running.values()].map((m) => m.close()));
  }
});
