/**
 * Throttling and expired iterators, injected with aws-sdk-client-mock on a real KinesisClient
 * passed as `kinesis` (the library's SdkKinesisApi maps the SDK's exceptions), with an in-memory
 * state store, on real time:
 *
 * - shard 0: every third GetRecords call fails with ProvisionedThroughputExceededException;
 * - shard 1: every fifth GetRecords call fails with ExpiredIteratorException, and once twice in a row;
 * - shards 2 and 3: GetRecords calls 3 to 9 all fail with ProvisionedThroughputExceededException
 *   (a storm, to see the backoff grow and its jitter);
 * - every shard's first GetShardIterator and the first two ListShards fail with LimitExceededException.
 *
 * Nothing may be skipped or delivered twice, order must hold, no shard may see more than 5
 * GetRecords (or GetShardIterator) calls in any second, and delays must grow with jitter.
 */
import {
  ExpiredIteratorException,
  LimitExceededException,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-kinesis';
import test from 'ava';
import { ThrottledError, type KinesumerError } from '../../src/errors.js';
import { createKinesumer } from '../../src/index.js';
import { silentLogger } from '../../src/logger.js';
import type { KinesumerRecord } from '../../src/record.js';
import { MemoryStateStore } from '../../src/state-store/memory-state-store.js';
import { checkpoint } from '../../src/checkpoint/checkpoint.js';
import { tap } from 'rxjs';
import { MockKinesis, mockShardId, type MockCall } from './mock-kinesis.js';
import { waitUntil } from './fixtures.js';

const RECORDS = 300;
const $metadata = { httpStatusCode: 400 };
const throttled = () => new ProvisionedThroughputExceededException({ message: 'Rate exceeded for shard', $metadata });
const limited = () => new LimitExceededException({ message: 'Rate exceeded', $metadata });
const expired = () => new ExpiredIteratorException({ message: 'Iterator expired', $metadata });
const STORM = { from: 3, to: 9 };

test('throttling and expired iterators: backoff with jitter, at most 5 calls a second per shard, nothing skipped or repeated', async (t) => {
  const kinesis = new MockKinesis({
    stream: 's',
    shards: 4,
    recordsPerShard: RECORDS,
    inject: ({ op, shardId, n }) => {
      if (op === 'ListShards') return n <= 2 ? limited() : undefined;
      if (op === 'GetShardIterator') return n === 1 ? limited() : undefined;
      if (shardId === mockShardId(0)) return n % 3 === 0 ? throttled() : undefined;
      if (shardId === mockShardId(1)) return n % 5 === 0 || n === 11 ? expired() : undefined;
      return n >= STORM.from && n <= STORM.to ? throttled() : undefined;
    },
  });
  const consumer = createKinesumer({
    app: 'throttled',
    clientId: 'only',
    kinesis: kinesis.client,
    stateStore: new MemoryStateStore(),
    initialPosition: 'TRIM_HORIZON',
    group: { syncInterval: 500, clientTimeout: 3000 },
    polling: { scanLimit: 25, idleInterval: 200 },
    retry: { initialDelay: 100, maxDelay: 1600 },
    logger: silentLogger,
  });
  const delivered: Array<{ t: number; record: KinesumerRecord }> = [];
  const errors: KinesumerError[] = [];
  consumer.errors$.subscribe((e) => errors.push(e));
  const started = Date.now();
  const sub = consumer
    .consume(['s'])
    .pipe(
      tap((record) => delivered.push({ t: Date.now(), record })),
      checkpoint(consumer),
    )
    .subscribe();
  try {
    await waitUntil(() => delivered.length >= 4 * RECORDS, 30_000, 'every record');
    const took = Date.now() - started;
    await new Promise((r) => setTimeout(r, 500)); // anything repeated would come now

    // nothing skipped, nothing repeated, in order: each shard's records exactly as written
    for (const [shardId, records] of kinesis.records) {
      t.deepEqual(
        delivered.filter((d) => d.record.shardId === shardId).map((d) => d.record.sequenceNumber),
        records.map((r) => r.SequenceNumber),
        `${shardId} delivered exactly its records, once each, in order`,
      );
    }

    // no busy loop: at most 5 GetRecords and 5 GetShardIterator calls a second on any shard
    // (counted in windows of 990 ms: Node's timers may fire a millisecond early by Date.now(),
    // so calls spaced "200 ms" apart are sometimes 199 ms apart on the wall clock)
    const rates = [...kinesis.records.keys()].map((id) => ({
      id,
      getRecords: kinesis.maxCallsInWindow('GetRecords', id, 990),
      getShardIterator: kinesis.maxCallsInWindow('GetShardIterator', id, 990),
    }));
    for (const r of rates) {
      t.true(r.getRecords <= 5, `${r.id}: ${r.getRecords} GetRecords calls within one second`);
      t.true(r.getShardIterator <= 5, `${r.id}: ${r.getShardIterator} GetShardIterator calls within one second`);
    }

    // backoff: in a storm the delay between calls grows (initialDelay 100 ms, doubling, equal
    // jitter, never below the 200 ms per-shard call spacing)
    const gaps = (id: string) => {
      const calls = kinesis.callsOf('GetRecords', id).filter((c) => c.n >= STORM.from && c.n <= STORM.to + 1);
      return calls.slice(1).map((c, i) => c.t - calls[i]!.t);
    };
    const storms = [mockShardId(2), mockShardId(3)].map(gaps);
    for (const g of storms) {
      t.is(g.length, STORM.to - STORM.from + 1);
      // retry k waits between half and all of 100 * 2^(k-1) ms, and at least 200 ms
      g.forEach((gap, i) => {
        const exp = Math.min(1600, 100 * 2 ** i);
        t.true(gap >= Math.max(200, exp / 2) - 15, `retry ${i + 1} after ${gap} ms (expected at least ${Math.max(200, exp / 2)})`);
        t.true(gap <= Math.max(200, exp) + 400, `retry ${i + 1} after ${gap} ms (expected at most ${Math.max(200, exp)})`);
      });
    }
    // jitter: the long delays of the two storms (retries 4 to 7) are not all the same
    const long = storms.flatMap((g) => g.slice(3));
    t.true(Math.max(...long) - Math.min(...long) >= 20, `retry delays ${long.join(', ')} show no jitter`);

    // an expired iterator is replaced at once, after the last delivered record
    const shard1 = mockShardId(1);
    const expiries = kinesis.callsOf('GetRecords', shard1).filter((c) => c.failed === 'ExpiredIteratorException');
    const iterators = kinesis.callsOf('GetShardIterator', shard1);
    for (const e of expiries) {
      const replacement = iterators.find((c) => c.t >= e.t && c.failed === undefined) as MockCall;
      const last = delivered.filter((d) => d.record.shardId === shard1 && d.t <= e.t).pop();
      t.deepEqual(replacement.input, {
        StreamName: 's',
        ShardId: shard1,
        ShardIteratorType: last ? 'AFTER_SEQUENCE_NUMBER' : 'TRIM_HORIZON',
        ...(last ? { StartingSequenceNumber: last.record.sequenceNumber } : {}),
      });
      // the first of a run is replaced at once; a second one in a row waits for the backoff
      if (e.n !== 11) t.true(replacement.t - e.t < 100, `replaced ${replacement.t - e.t} ms after the expiry`);
    }
    // two in a row: the second is not retried at once (no busy loop on a persistent expiry)
    const twice = expiries.find((e) => e.n === 11)!;
    const afterTwice = iterators.find((c) => c.t > twice.t)!;
    t.true(afterTwice.t - twice.t >= 40, `after two expiries in a row the next iterator came ${afterTwice.t - twice.t} ms later`);

    // reported: every throttling names the call, stream and shard
    const throttles = errors.filter((e): e is ThrottledError => e instanceof ThrottledError);
    const byOperation = new Set(throttles.map((e) => `${e.operation}${e.shardId ? '' : ' (stream)'}`));
    t.deepEqual([...byOperation].sort(), ['GetRecords', 'GetShardIterator', 'ListShards (stream)']);
    for (const e of throttles) t.regex(e.message, /^Kinesis (GetRecords|GetShardIterator|ListShards) on stream "s"( shard shardId-\d+)? failed: throttled by Kinesis, backing off$/);
    const injected = kinesis.calls.filter((c) => c.failed !== undefined && c.failed !== 'ExpiredIteratorException').length;
    t.log(
      `${4 * RECORDS} records in ${took} ms, 0 lost, 0 duplicates; ${injected} throttled calls and ${expiries.length} expired iterators injected; ` +
        `max calls/s per shard: ${rates.map((r) => `${r.id.slice(-1)}: ${r.getRecords} GetRecords, ${r.getShardIterator} GetShardIterator`).join('; ')}; ` +
        `storm delays (ms): ${storms.map((g) => g.join('/')).join(' and ')}`,
    );
  } finally {
    sub.unsubscribe();
    await consumer.close();
    kinesis.restore();
  }
});
