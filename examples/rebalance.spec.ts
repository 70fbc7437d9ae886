/**
 * A marble test of a rebalance, written as you would write one for your own consumer: it uses
 * only the package's public entry points (`rx-kinesumer` and `rx-kinesumer/testing`), an
 * in-memory Kinesis and state store, and virtual time, so 30 seconds of a consumer group run in
 * milliseconds and every frame is exact. It runs with AVA here; with Jest, Vitest or Mocha only
 * `test` and the assertion in the TestScheduler change.
 *
 * The story: member "a" consumes a 4-shard stream alone; member "b" joins at 7 s; at a's next
 * sync (10 s) a hands shards 2 and 3 over, committing what it processed, and b takes them in the
 * same frame, so no shard is read by two members and no record is processed twice.
 */
import test from 'ava';
import { TestScheduler } from 'rxjs/testing';
import { createKinesumer, MemoryStateStore, processRecords, silentLogger, type KinesumerRecord } from 'rx-kinesumer';
import { FakeKinesis } from 'rx-kinesumer/testing';

const S = (n: number) => `shardId-${String(n).padStart(12, '0')}`;

test('a member joins: two shards move at the next sync of the first, and no record is processed twice', (t) => {
  const scheduler = new TestScheduler((actual, expected) => t.deepEqual(actual, expected));
  const processed: Record<string, string[]> = { a: [], b: [] };

  scheduler.run(({ expectObservable, expectSubscriptions }) => {
    // given: a stream of 4 shards with one record on each, and two members sharing one state store
    const kinesis = new FakeKinesis({ scheduler });
    kinesis.createStream('orders', { shards: 4 });
    const put = (data: string, shard: number) => {
      const startingHashKey = kinesis.describeShards('orders')[shard]!.startingHashKey;
      kinesis.putRecord('orders', { partitionKey: data, data, explicitHashKey: startingHashKey });
    };
    [0, 1, 2, 3].forEach((shard) => put(`early-${shard}`, shard));
    const store = new MemoryStateStore();
    const member = (clientId: string) => {
      const consumer = createKinesumer({
        app: 'orders-indexer',
        clientId,
        kinesis,
        stateStore: store,
        scheduler,
        initialPosition: 'TRIM_HORIZON',
        retry: { random: () => 0.5 }, // backoff without jitter: 75 ms for the first retry
        logger: silentLogger,
      });
      // Synchronous (or an Observable): a Promise would resolve only after the virtual time ran.
      const handle = (record: KinesumerRecord) => void processed[clientId]!.push(new TextDecoder().decode(record.data));
      return { consumer, start: () => consumer.consume(['orders']).pipe(processRecords(consumer, handle)).subscribe() };
    };
    const a = member('a');
    const b = member('b');

    // when: a starts at 0, b joins at 7 s (its first GetShardIterator of shard 2 fails once),
    // new records arrive at 20 s, and both close at 30 s
    a.start();
    scheduler.schedule(() => {
      kinesis.failNext('getShardIterator', { shardId: S(2) });
      b.start();
    }, 7_000);
    scheduler.schedule(() => [0, 1, 2, 3].forEach((shard) => put(`late-${shard}`, shard)), 20_000);
    scheduler.schedule(() => {
      void a.consumer.close();
      void b.consumer.close();
    }, 30_000);

    // then: b's target includes shards 2 and 3 from its first sync at 7 s, but b holds them only
    // from 10 s, when a released them; shard 2's reader starts again 75 ms after its failure
    const none = {};
    const half = { orders: [S(2), S(3)] };
    expectObservable(b.consumer.assignment$).toBe('a 6999ms b 22999ms (c|)', { a: none, b: half, c: none });
    const two = { orders: [S(2)] };
    const three = { orders: [S(3)] };
    expectObservable(b.consumer.owned$).toBe('a 9999ms (bc) 19996ms (de|)', { a: none, b: two, c: half, d: three, e: none });
    expectSubscriptions(kinesis.readers('orders', S(0))).toBe('^ 29999ms !');
    expectSubscriptions(kinesis.readers('orders', S(1))).toBe('^ 29999ms !');
    expectSubscriptions(kinesis.readers('orders', S(2))).toBe(['^ 9999ms !', '10000ms (^!)', '10075ms ^ 19924ms !']);
    expectSubscriptions(kinesis.readers('orders', S(3))).toBe(['^ 9999ms !', '10000ms ^ 19999ms !']);
  });

  // every record processed once, by the member that held its shard at the time (there is no
  // order between shards, so each member's list is sorted)
  t.deepEqual(
    { a: processed['a']!.sort(), b: processed['b']!.sort() },
    { a: ['early-0', 'early-1', 'early-2', 'early-3', 'late-0', 'late-1'], b: ['late-2', 'late-3'] },
  );
});
