/**
 * Backpressure: a reader fetches only as many records as fit under `polling.maxInFlight` and waits
 * while its shard's delivered records have not reached checkpoint(); nothing is dropped.
 */
import test from 'ava';
import { concatMap, defer, delay, filter, NEVER, concat, of, tap, type Observable } from 'rxjs';
import { checkpoint } from '../../src/checkpoint/checkpoint.js';
import { createKinesumer } from '../../src/index.js';
import type { KinesisApi, RecordsPage } from '../../src/kinesis/kinesis-api.js';
import { MemoryStateStore } from '../../src/state-store/memory-state-store.js';
import { makeRecords, openShards } from '../helpers/fake-kinesis.js';
import { testScheduler } from '../helpers/marbles.js';

/** One shard with a backlog of `size` records; GetRecords honours Limit; iterators are offsets. */
function backlogKinesis(size: number, limits: number[]): KinesisApi {
  const records = makeRecords(0, 0, size);
  return {
    listShards: () => of(openShards(1)),
    getShardIterator: () => concat(of('0'), NEVER),
    getRecords: (_s, _id, iterator, limit): Observable<RecordsPage> =>
      defer(() => {
        limits.push(limit);
        const from = Number(iterator);
        const page = records.slice(from, from + limit);
        const next = from + page.length;
        return of({ records: page, nextShardIterator: String(next), millisBehindLatest: next < size ? 1000 : 0 });
      }),
  };
}

test('a slow pipeline holds the reader at maxInFlight; it reads on as records are processed; nothing is dropped', (t) => {
  const scheduler = testScheduler(t);
  const limits: number[] = [];
  const processed: string[] = [];
  let peakInFlight = 0;
  let emitted = 0;
  scheduler.run(() => {
    const consumer = createKinesumer({
      app: 'app',
      clientId: 'c',
      kinesis: backlogKinesis(1000, limits),
      stateStore: new MemoryStateStore(),
      initialPosition: 'TRIM_HORIZON',
      polling: { scanLimit: 50, maxInFlight: 100 },
      scheduler,
    });
    consumer
      .consume(['s'])
      .pipe(
        tap(() => {
          emitted += 1;
          peakInFlight = Math.max(peakInFlight, emitted - processed.length);
        }),
        concatMap((r) => of(r).pipe(delay(20, scheduler))), // 20 ms a record: slower than reading
        tap((r) => processed.push(r.sequenceNumber)),
        checkpoint(consumer),
      )
      .subscribe();
    scheduler.schedule(() => void consumer.close(), 20_000);
  });
  // then every record was processed, in order, once
  t.deepEqual(processed, makeRecords(0, 0, 1000).map((r) => r.SequenceNumber));
  // and no more than maxInFlight were ever waiting in the pipeline
  t.true(peakInFlight <= 100, `peak in flight ${peakInFlight}`);
  // the reader asked only for what fitted: never more than scanLimit, never past the bound
  t.true(limits.every((l) => l >= 1 && l <= 50), limits.join(','));
  // and it makes no tiny calls: at the bound it waits until half of it was processed
  t.true(limits.slice(0, -1).every((l) => l === 50), limits.join(','));
});

test('without checkpoint() in the pipeline the reader is not held back', (t) => {
  const scheduler = testScheduler(t);
  const limits: number[] = [];
  let count = 0;
  scheduler.run(() => {
    const consumer = createKinesumer({
      app: 'app',
      clientId: 'c',
      kinesis: backlogKinesis(500, limits),
      stateStore: new MemoryStateStore(),
      initialPosition: 'TRIM_HORIZON',
      polling: { scanLimit: 50, maxInFlight: 100 },
      scheduler,
    });
    consumer
      .consume(['s'])
      .pipe(concatMap((r) => of(r).pipe(delay(1000, scheduler))))
      .subscribe(() => (count += 1));
    scheduler.schedule(() => t.true(limits.length >= 10, `${limits.length} calls by 3000 ms`), 3000);
    scheduler.schedule(() => void consumer.close(), 3000);
  });
  // all 500 records are fetched in the first 3 s (calls 200 ms apart), full pages each time,
  // although the pipeline processes only one a second
  t.deepEqual(limits.slice(0, 10), Array(10).fill(50));
  t.is(count, 500);
});

test('a pipeline that filters out a whole window of records does not stall the reader for good', (t) => {
  const scheduler = testScheduler(t);
  const limits: number[] = [];
  const passed: string[] = [];
  scheduler.run(() => {
    const consumer = createKinesumer({
      app: 'app',
      clientId: 'c',
      kinesis: backlogKinesis(300, limits),
      stateStore: new MemoryStateStore(),
      initialPosition: 'TRIM_HORIZON',
      polling: { scanLimit: 50, maxInFlight: 100 },
      scheduler,
    });
    const records = makeRecords(0, 0, 300);
    consumer
      .consume(['s'])
      .pipe(
        // the first 150 records are dropped, not passed on
        filter((r) => records.findIndex((x) => x.SequenceNumber === r.sequenceNumber) >= 150),
        tap((r) => passed.push(r.sequenceNumber)),
        checkpoint(consumer),
      )
      .subscribe();
    scheduler.schedule(() => void consumer.close(), 60_000);
  });
  t.is(passed.length, 150, 'the reader read on after the stall timeout and delivered the rest');
});
