/** processBatches() on virtual time: batch forming, partial failures, bisection, one batch per shard. */
import type { _Record } from '@aws-sdk/client-kinesis';
import test from 'ava';
import { of, throwError, timer, map } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { createKinesumer, processBatches, type Kinesumer, type KinesumerRecord } from '../../src/index.js';
import { MemoryStateStore } from '../../src/state-store/memory-state-store.js';
import { FakeKinesis, openShards } from '../helpers/fake-kinesis.js';
import { testScheduler } from '../helpers/marbles.js';

const S = (i: number) => `shardId-${String(i).padStart(12, '0')}`;
const seq = (shard: number, n: number) => `4959${String(shard).padStart(4, '0')}${String(n).padStart(20, '0')}`;

function records(shard: number, from: number, count: number): _Record[] {
  return Array.from({ length: count }, (_, i) => ({
    SequenceNumber: seq(shard, from + i),
    PartitionKey: `k${from + i}`,
    Data: new TextEncoder().encode(`${shard}:${from + i}`),
    ApproximateArrivalTimestamp: new Date(0),
  }));
}

function member(scheduler: TestScheduler, store: MemoryStateStore, kinesis: FakeKinesis, extra: object = {}): Kinesumer {
  return createKinesumer({
    app: 'app',
    clientId: 'a',
    kinesis,
    stateStore: store,
    initialPosition: 'TRIM_HORIZON',
    scheduler,
    retry: { initialDelay: 100, maxDelay: 1000, random: () => 0 },
    ...extra,
  });
}

const names = (batch: readonly KinesumerRecord[]) => batch.map((r) => new TextDecoder().decode(r.data)).join(',');
const checkpointOf = (store: MemoryStateStore, shard: number) => store.snapshot().states['app']?.['s']?.find((s) => s.shardId === S(shard))?.sequenceNumber;

test('a batch is what arrived together, up to maxRecords; one batch per shard at a time, shards in parallel', (t) => {
  const scheduler = testScheduler(t);
  const store = new MemoryStateStore();
  const calls: string[] = [];
  scheduler.run((helpers) => {
    const kinesis = new FakeKinesis(helpers, () => scheduler.now(), { s: openShards(2) });
    kinesis.queue('s', S(0), records(0, 0, 5));
    kinesis.queue('s', S(1), records(1, 0, 2));
    const c = member(scheduler, store, kinesis);
    c.consume(['s'])
      .pipe(
        processBatches(
          c,
          (batch) => {
            calls.push(`${names(batch)}@${scheduler.now()}`);
            return timer(10, scheduler);
          },
          { maxRecords: 3 },
        ),
      )
      .subscribe();
    scheduler.schedule(() => void c.close(), 100);
  });
  t.deepEqual(calls.sort(), ['0:0,0:1,0:2@0', '0:3,0:4@10', '1:0,1:1@0']);
  t.is(checkpointOf(store, 0), seq(0, 4));
  t.is(checkpointOf(store, 1), seq(1, 1));
});

test('maxWait lets a batch fill with records that arrive later', (t) => {
  const scheduler = testScheduler(t);
  const store = new MemoryStateStore();
  const calls: string[] = [];
  scheduler.run((helpers) => {
    const kinesis = new FakeKinesis(helpers, () => scheduler.now(), { s: openShards(1) });
    kinesis.queue('s', S(0), records(0, 0, 2), { millisBehindLatest: 1 }); // more to read: next call at 200 ms
    kinesis.queue('s', S(0), records(0, 2, 2));
    const c = member(scheduler, store, kinesis);
    c.consume(['s'])
      .pipe(processBatches(c, (batch) => void calls.push(`${names(batch)}@${scheduler.now()}`), { maxWait: 300 }))
      .subscribe();
    scheduler.schedule(() => void c.close(), 1000);
  });
  t.deepEqual(calls, ['0:0,0:1,0:2,0:3@300']);
});

test('a partial failure checkpoints the records before the first failed one and retries the rest after the backoff', (t) => {
  const scheduler = testScheduler(t);
  const store = new MemoryStateStore();
  const calls: string[] = [];
  const checkpoints: Array<string | undefined> = [];
  scheduler.run((helpers) => {
    const kinesis = new FakeKinesis(helpers, () => scheduler.now(), { s: openShards(1) });
    kinesis.queue('s', S(0), records(0, 0, 6));
    const c = member(scheduler, store, kinesis);
    let first = true;
    c.consume(['s'])
      .pipe(
        processBatches(c, (batch) => {
          calls.push(`${names(batch)}@${scheduler.now()}`);
          if (!first) return 'ok';
          first = false;
          return { failed: [batch[4]!, batch[3]!] }; // 3 is the first failed
        }),
      )
      .subscribe();
    scheduler.schedule(() => {
      void c.commit();
      checkpoints.push(checkpointOf(store, 0));
    }, 10);
    scheduler.schedule(() => void c.close(), 1000);
  });
  // the retry after backoff(1) = 50 ms
  t.deepEqual(calls, ['0:0,0:1,0:2,0:3,0:4,0:5@0', '0:3,0:4,0:5@50']);
  t.deepEqual(checkpoints, [seq(0, 2)]);
  t.is(checkpointOf(store, 0), seq(0, 5));
});

test('bisectOnError isolates the bad record: the rest is processed, the bad one retried and dead-lettered', (t) => {
  const scheduler = testScheduler(t);
  const store = new MemoryStateStore();
  const calls: string[] = [];
  const sunk: string[] = [];
  scheduler.run((helpers) => {
    const kinesis = new FakeKinesis(helpers, () => scheduler.now(), { s: openShards(1) });
    kinesis.queue('s', S(0), records(0, 0, 8));
    const c = member(scheduler, store, kinesis);
    c.consume(['s'])
      .pipe(
        processBatches(
          c,
          (batch) => {
            calls.push(`${names(batch)}@${scheduler.now()}`);
            return batch.some((r) => r.partitionKey === 'k5') ? throwError(() => new Error('bad record')) : of(batch.length).pipe(map(String));
          },
          { bisectOnError: true, retry: { attempts: 2 }, deadLetter: ({ record, attempts }) => void sunk.push(`${names([record])} after ${attempts}@${scheduler.now()}`) },
        ),
      )
      .subscribe();
    scheduler.schedule(() => void c.close(), 1000);
  });
  t.deepEqual(calls, [
    '0:0,0:1,0:2,0:3,0:4,0:5,0:6,0:7@0',
    '0:0,0:1,0:2,0:3@0',
    '0:4,0:5,0:6,0:7@0',
    '0:4,0:5@0',
    '0:4@0',
    '0:5@0',
    '0:5@50', // the one bad record: its own retry policy
    '0:6,0:7@50',
  ]);
  t.deepEqual(sunk, ['0:5 after 2@50']);
  t.is(checkpointOf(store, 0), seq(0, 7));
});
