/**
 * Many records queued behind one slow record, then handled synchronously (a handler that returns
 * a plain value, say from a cache): the operators must work through the queue in a loop, not by
 * recursing once per record (which overflows the stack with a page of a few thousand records).
 */
import type { _Record } from '@aws-sdk/client-kinesis';
import test from 'ava';
import { timer } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { createKinesumer, processBatches, processRecords, type Kinesumer } from '../../src/index.js';
import { MemoryStateStore } from '../../src/state-store/memory-state-store.js';
import { FakeKinesis, openShards } from '../helpers/fake-kinesis.js';
import { testScheduler } from '../helpers/marbles.js';

const S = (i: number) => `shardId-${String(i).padStart(12, '0')}`;
const seq = (n: number) => `4959${String(0).padStart(4, '0')}${String(n).padStart(20, '0')}`;
const COUNT = 5_000;

function page(keys: number): _Record[] {
  return Array.from({ length: COUNT }, (_, n) => ({
    SequenceNumber: seq(n),
    PartitionKey: `k${n % keys}`,
    Data: new TextEncoder().encode(String(n)),
    ApproximateArrivalTimestamp: new Date(0),
  }));
}

function member(scheduler: TestScheduler, store: MemoryStateStore, kinesis: FakeKinesis): Kinesumer {
  return createKinesumer({
    app: 'app',
    clientId: 'a',
    kinesis,
    stateStore: store,
    initialPosition: 'TRIM_HORIZON',
    scheduler,
    polling: { scanLimit: COUNT, maxInFlight: 2 * COUNT },
  });
}

const checkpointOf = (store: MemoryStateStore) => store.snapshot().states['app']?.['s']?.find((s) => s.shardId === S(0))?.sequenceNumber;

for (const [name, concurrency, keys] of [
  ['one shard in order (no concurrency)', undefined, 1],
  ['one key with concurrency', 8, 1],
  ['many keys with concurrency 1', 1, 100],
] as const) {
  test(`processRecords, ${name}: ${COUNT} records queued behind a slow first record, then handled synchronously, all get done`, (t) => {
    const scheduler = testScheduler(t);
    const store = new MemoryStateStore();
    let done = 0;
    let failed: unknown;
    scheduler.run((helpers) => {
      const kinesis = new FakeKinesis(helpers, () => scheduler.now(), { s: openShards(1) });
      kinesis.queue('s', S(0), page(keys));
      const c = member(scheduler, store, kinesis);
      c.consume(['s'])
        .pipe(processRecords(c, (record) => (record.sequenceNumber === seq(0) ? timer(10, scheduler) : 1), concurrency === undefined ? {} : { concurrency }))
        .subscribe({ next: () => (done += 1), error: (err: unknown) => (failed = err) });
      scheduler.schedule(() => void c.close(), 1000);
    });
    t.is(failed, undefined);
    t.is(done, COUNT);
    t.is(checkpointOf(store), seq(COUNT - 1));
  });
}

test(`processBatches with maxRecords 1: ${COUNT} records queued behind a slow first batch, then handled synchronously, all get done`, (t) => {
  const scheduler = testScheduler(t);
  const store = new MemoryStateStore();
  let done = 0;
  let failed: unknown;
  scheduler.run((helpers) => {
    const kinesis = new FakeKinesis(helpers, () => scheduler.now(), { s: openShards(1) });
    kinesis.queue('s', S(0), page(1));
    const c = member(scheduler, store, kinesis);
    c.consume(['s'])
      .pipe(processBatches(c, (batch) => (batch[0]!.sequenceNumber === seq(0) ? timer(10, scheduler) : batch.length), { maxRecords: 1 }))
      .subscribe({ next: (b) => (done += b.records.length), error: (err: unknown) => (failed = err) });
    scheduler.schedule(() => void c.close(), 1000);
  });
  t.is(failed, undefined);
  t.is(done, COUNT);
  t.is(checkpointOf(store), seq(COUNT - 1));
});
