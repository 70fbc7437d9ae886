/**
 * The consumer group in EFO mode, on virtual time: with `efo` on, owned shards are read with
 * SubscribeToShard (no GetRecords), the leader registers the stream's consumer and the other
 * members only wait for it, a closed shard's last event ends its reader exactly as the polling
 * reader's shard end does (its children start after it, from TRIM_HORIZON), and a restarted
 * member subscribes AFTER_SEQUENCE_NUMBER its checkpoint.
 */
import test from 'ava';
import { NEVER, defer, map, of, tap, zip, type Observable } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { checkpoint } from '../../src/checkpoint/checkpoint.js';
import type { EfoKinesisApi, KinesisApi, ShardDescription, ShardEvent, StartPosition, StreamConsumer } from '../../src/kinesis/kinesis-api.js';
import { createKinesumer, type Kinesumer } from '../../src/index.js';
import { MemoryStateStore } from '../../src/state-store/memory-state-store.js';
import type { StateStore } from '../../src/state-store/state-store.js';
import { FakeKinesis, openShards } from '../helpers/fake-kinesis.js';
import { testScheduler } from '../helpers/marbles.js';

const S = (i: number) => `shardId-${String(i).padStart(12, '0')}`;

/** The decimal sequence number of record `key` (one letter) of a shard. */
const seq = (shard: number, key: string) => `4959${shard}${String(key.charCodeAt(0)).padStart(6, '0')}`;

/**
 * A SubscribeToShard event of shard `shard` with one record per letter of `keys` (the partition
 * key), real-looking (decimal) sequence numbers, and its continuation; `end` makes it the shard's
 * last event.
 */
function ev(shard: number, keys: string, end = false): ShardEvent {
  const records = [...keys].map((key) => ({
    SequenceNumber: seq(shard, key),
    PartitionKey: key,
    Data: new TextEncoder().encode(key),
    ApproximateArrivalTimestamp: new Date(0),
  }));
  return {
    records,
    continuationSequenceNumber: end ? undefined : (records[records.length - 1]?.SequenceNumber ?? seq(shard, '0')),
    millisBehindLatest: 0,
    childShards: end ? [{ shardId: S(shard + 1), parentShards: [S(shard)] }] : undefined,
  };
}

/**
 * A whole seam: shards from a FakeKinesis, and per shard a script of subscriptions (the n-th
 * SubscribeToShard call on a shard plays its n-th Observable, handing out an event per demand).
 */
function efoSeam(scheduler: TestScheduler, fake: FakeKinesis, scripts: Record<string, Array<Observable<ShardEvent>>>) {
  const log: string[] = [];
  const subscribes: Array<{ at: number; shardId: string; position: StartPosition }> = [];
  let consumer: StreamConsumer | undefined;
  /** The seam as member `who` sees it: its registration calls are logged with its name. */
  const forMember = (who: string): KinesisApi & EfoKinesisApi => ({
    listShards: (stream) => fake.listShards(stream),
    getShardIterator: (stream, shardId, position) => fake.getShardIterator(stream, shardId, position),
    getRecords: (stream, shardId) => fake.getRecords(stream, shardId),
    describeStreamSummary: (stream) => of({ streamArn: `arn:${stream}`, status: 'ACTIVE' }),
    registerStreamConsumer: (_stream, streamArn, name) =>
      defer(() => {
        log.push(`${who} register ${name}@${scheduler.now()}`);
        if (consumer) return of(undefined);
        consumer = { consumerName: name, consumerArn: `${streamArn}/consumer/${name}`, status: 'ACTIVE' };
        return of(consumer);
      }),
    describeStreamConsumer: () =>
      defer(() => {
        log.push(`${who} describe@${scheduler.now()}`);
        return of(consumer);
      }),
    deregisterStreamConsumer: () => of(undefined),
    subscribeToShard: (_stream, shardId, _arn, position, demand$) =>
      defer(() => {
        const n = subscribes.filter((s) => s.shardId === shardId).length;
        subscribes.push({ at: scheduler.now(), shardId, position });
        const events = scripts[shardId]?.[n] ?? NEVER;
        return zip(events, demand$).pipe(map(([event]) => event));
      }),
  });
  return { kinesis: forMember('a'), forMember, log, subscribes };
}

function member(scheduler: TestScheduler, id: string, store: StateStore, kinesis: KinesisApi & EfoKinesisApi): Kinesumer {
  return createKinesumer({
    app: 'app',
    clientId: id,
    kinesis,
    stateStore: store,
    initialPosition: 'TRIM_HORIZON',
    scheduler,
    efo: true,
  });
}

test('with efo on, shards are read with SubscribeToShard, not GetRecords; only the leader registers the consumer', (t) => {
  const scheduler = testScheduler(t);
  let seam: ReturnType<typeof efoSeam> | undefined;
  let fake: FakeKinesis | undefined;
  const got: string[] = [];
  scheduler.run((helpers) => {
    fake = new FakeKinesis(helpers, () => scheduler.now(), { s: openShards(2) });
    seam = efoSeam(scheduler, fake, {
      [S(0)]: [helpers.cold('a 999ms b', { a: ev(0, 'a'), b: ev(0, 'b') })],
      // a reads shard 1 until it hands it over; b's subscription continues after c
      [S(1)]: [helpers.cold('c', { c: ev(1, 'c') }), helpers.cold('d', { d: ev(1, 'd') })],
    });
    const store = new MemoryStateStore();
    const a = member(scheduler, 'a', store, seam.forMember('a'));
    const b = member(scheduler, 'b', store, seam.forMember('b'));
    // a leads ('a' sorts first); b joins at 100 and takes shard 1 at a's next sync
    a.consume(['s'])
      .pipe(checkpoint(a))
      .subscribe((r) => got.push(`a:${r.partitionKey}`));
    scheduler.schedule(
      () =>
        b
          .consume(['s'])
          .pipe(checkpoint(b))
          .subscribe((r) => got.push(`b:${r.partitionKey}`)),
      100,
    );
    scheduler.schedule(() => void a.close(), 20_000);
    scheduler.schedule(() => void b.close(), 20_000);
  });
  t.deepEqual(fake!.calls.filter((c) => c.op !== 'listShards'), []);
  // the leader registered; b only looked the consumer up
  t.deepEqual(
    seam!.log.filter((line) => line.includes('register')),
    ['a register app@0'],
  );
  t.true(seam!.log.some((line) => line.startsWith('b describe')));
  t.deepEqual(got.sort(), ['a:a', 'a:b', 'a:c', 'b:d']);
  const shard1 = seam!.subscribes.filter((s) => s.shardId === S(1));
  t.is(shard1.length, 2);
  t.deepEqual(shard1[1]?.position, { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: seq(1, 'c') });
});

test('a closed shard ends with its last event: the parent is finished, then its child is read from TRIM_HORIZON', (t) => {
  const scheduler = testScheduler(t);
  let seam: ReturnType<typeof efoSeam> | undefined;
  const got: Array<[number, string, string]> = [];
  scheduler.run((helpers) => {
    const shards: ShardDescription[] = [
      { ...openShards(1)[0]!, closed: true },
      { ...openShards(2)[1]!, parentShardId: S(0) },
    ];
    const fake = new FakeKinesis(helpers, () => scheduler.now(), { s: shards });
    seam = efoSeam(scheduler, fake, {
      [S(0)]: [helpers.cold('a 999ms b', { a: ev(0, 'ab'), b: ev(0, 'c', true) })],
      [S(1)]: [helpers.cold('d', { d: ev(1, 'd') })],
    });
    const a = member(scheduler, 'a', new MemoryStateStore(), seam.kinesis);
    a.consume(['s'])
      .pipe(
        tap((r) => got.push([scheduler.now(), r.shardId, r.partitionKey])),
        checkpoint(a),
      )
      .subscribe();
    scheduler.schedule(() => void a.close(), 20_000);
  });
  t.deepEqual(
    got.map(([, shard, key]) => `${shard.slice(-1)}:${key}`),
    ['0:a', '0:b', '0:c', '1:d'],
  );
  const parentEnd = got[2]![0];
  const child = seam!.subscribes.find((s) => s.shardId === S(1));
  t.deepEqual(child?.position, { type: 'TRIM_HORIZON' });
  // the child starts after the parent's last record was marked and the parent recorded finished
  t.true(child!.at >= parentEnd, `child subscribed at ${child!.at}, parent ended at ${parentEnd}`);
  t.is(seam!.subscribes.filter((s) => s.shardId === S(0)).length, 1);
});

test('a restarted member subscribes AFTER_SEQUENCE_NUMBER its committed checkpoint', (t) => {
  const scheduler = testScheduler(t);
  let seam: ReturnType<typeof efoSeam> | undefined;
  scheduler.run((helpers) => {
    const fake = new FakeKinesis(helpers, () => scheduler.now(), { s: openShards(1) });
    seam = efoSeam(scheduler, fake, { [S(0)]: [helpers.cold('a', { a: ev(0, 'ab') }), helpers.cold('c', { c: ev(0, 'c') })] });
    const store = new MemoryStateStore();
    const first = member(scheduler, 'a', store, seam.kinesis);
    first.consume(['s']).pipe(checkpoint(first)).subscribe();
    scheduler.schedule(() => void first.close(), 1000);
    scheduler.schedule(() => {
      const second = member(scheduler, 'a', store, seam!.kinesis);
      second.consume(['s']).pipe(checkpoint(second)).subscribe();
      scheduler.schedule(() => void second.close(), 10_000);
    }, 3000);
  });
  t.deepEqual(
    seam!.subscribes.map((s) => s.position),
    [{ type: 'TRIM_HORIZON' }, { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: seq(0, 'b') }],
  );
});

test('a graceful EFO handoff: the old owner ends its subscription, then commits, then releases; the new owner subscribes after its last record', (t) => {
  const scheduler = testScheduler(t);
  let seam: ReturnType<typeof efoSeam> | undefined;
  const order: string[] = [];
  scheduler.run((helpers) => {
    const fake = new FakeKinesis(helpers, () => scheduler.now(), { s: openShards(2) });
    seam = efoSeam(scheduler, fake, {
      [S(0)]: [helpers.cold('a', { a: ev(0, 'a') })],
      [S(1)]: [helpers.cold('c 1999ms d', { c: ev(1, 'c'), d: ev(1, 'd') }), helpers.cold('e', { e: ev(1, 'e') })],
    });
    const store = new MemoryStateStore();
    // every step of shard 1 in order: a's subscription ending, a's item write and release, b's subscribe
    const forA = seam.forMember('a');
    const logged: typeof forA = {
      ...forA,
      subscribeToShard: (stream, shardId, arn, position, demand$) =>
        forA.subscribeToShard(stream, shardId, arn, position, demand$).pipe(
          tap({ unsubscribe: () => shardId === S(1) && order.push(`a unsubscribed@${scheduler.now()}`) }),
        ),
    };
    const forB = seam.forMember('b');
    const loggedB: typeof forB = {
      ...forB,
      subscribeToShard: (stream, shardId, arn, position, demand$) => {
        if (shardId === S(1)) order.push(`b subscribed@${scheduler.now()}`);
        return forB.subscribeToShard(stream, shardId, arn, position, demand$);
      },
    };
    const observed = Object.create(store) as StateStore;
    observed.commitShard = (app, stream, shardId, commit) => {
      if (shardId === S(1)) order.push(`${commit.clientId} commit ${commit.sequenceNumber === seq(1, 'd') ? 'd' : commit.sequenceNumber}@${scheduler.now()}`);
      return store.commitShard(app, stream, shardId, commit);
    };
    observed.releaseShard = (app, stream, shardId, clientId) => {
      if (shardId === S(1)) order.push(`${clientId} release@${scheduler.now()}`);
      return store.releaseShard(app, stream, shardId, clientId);
    };
    const a = member(scheduler, 'a', observed, logged);
    const b = member(scheduler, 'b', observed, loggedB);
    a.consume(['s']).pipe(checkpoint(a)).subscribe();
    // b joins at 2500, after a read c and d: at a's next sync (5000) shard 1 moves to b
    scheduler.schedule(() => b.consume(['s']).pipe(checkpoint(b)).subscribe(), 2500);
    scheduler.schedule(() => void a.close(), 20_000);
    scheduler.schedule(() => void b.close(), 20_000);
  });
  const handoff = order.filter((line) => !line.startsWith('b commit') && !line.startsWith('b release'));
  // (b, which waits for the shard since its first sync at 2500, asks every syncInterval / 5)
  t.deepEqual(handoff.slice(0, 4), ['a unsubscribed@5000', 'a commit d@5000', 'a release@5000', 'b subscribed@5500']);
  const shard1 = seam!.subscribes.filter((s) => s.shardId === S(1));
  t.deepEqual(shard1[1]?.position, { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: seq(1, 'd') });
});
