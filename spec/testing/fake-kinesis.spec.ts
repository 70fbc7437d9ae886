/**
 * The test kit's FakeKinesis on its own: routing by the MD5 of the partition key, iterator
 * positions, the end of a closed shard, lineage after splits and merges, typed failures, latency
 * on the scheduler, and the reader log that `expectSubscriptions` reads.
 */
import { createHash } from 'node:crypto';
import test from 'ava';
import { EMPTY, expand, firstValueFrom, lastValueFrom, mergeMap, take, toArray, type Observable } from 'rxjs';
import { KinesisError, StreamNotFoundError, ThrottledError } from '../../src/errors.js';
import type { RecordsPage, StartPosition } from '../../src/kinesis/kinesis-api.js';
import { FakeKinesis } from '../../src/testing/fake-kinesis.js';
import { testScheduler } from '../helpers/marbles.js';
import { asyncScheduler } from 'rxjs';

const S = (n: number) => `shardId-${String(n).padStart(12, '0')}`;
const text = (page: RecordsPage) => page.records.map((r) => new TextDecoder().decode(r.Data));

/** Reads a shard from `position` page by page to its end, or `pages` pages. */
function read(kinesis: FakeKinesis, stream: string, shardId: string, position: StartPosition, pages = 10, limit = 100): Promise<RecordsPage[]> {
  const page = (iterator: string): Observable<RecordsPage> => kinesis.getRecords(stream, shardId, iterator, limit);
  return lastValueFrom(
    kinesis.getShardIterator(stream, shardId, position).pipe(
      take(1),
      mergeMap(page),
      expand((p) => (p.nextShardIterator === undefined ? EMPTY : page(p.nextShardIterator))),
      take(pages),
      toArray(),
    ),
  );
}

test('records go to the shard whose hash-key range holds the MD5 of their partition key', (t) => {
  const kinesis = new FakeKinesis({ scheduler: asyncScheduler });
  kinesis.createStream('s', { shards: 4 });
  const ranges = kinesis.describeShards('s').map((s) => [BigInt(s.startingHashKey), BigInt(s.endingHashKey)] as const);
  t.is(ranges[0]![0], 0n);
  t.is(ranges[3]![1], (1n << 128n) - 1n);
  for (let i = 0; i < 40; i++) {
    const key = `key-${i}`;
    const hash = BigInt(`0x${createHash('md5').update(key).digest('hex')}`);
    const { shardId } = kinesis.putRecord('s', { partitionKey: key, data: key });
    const expected = ranges.findIndex(([lo, hi]) => lo <= hash && hash <= hi);
    t.is(shardId, S(expected), key);
  }
  t.is(kinesis.putRecord('s', { partitionKey: 'x', data: 'y', explicitHashKey: ranges[2]![0].toString() }).shardId, S(2));
});

test('iterators honour TRIM_HORIZON, LATEST, AT and AFTER a sequence number, and AT_TIMESTAMP', async (t) => {
  let now = 1_000;
  const kinesis = new FakeKinesis({ scheduler: { now: () => now, schedule: asyncScheduler.schedule.bind(asyncScheduler) } });
  kinesis.createStream('s');
  const put = ['a', 'b', 'c', 'd'].map((data) => {
    now += 10;
    return kinesis.putRecord('s', { partitionKey: 'k', data });
  });
  const seqs = put.map((p) => BigInt(p.sequenceNumber));
  t.deepEqual([...seqs].sort((x, y) => (x < y ? -1 : 1)), seqs, 'sequence numbers increase');

  const first = async (position: StartPosition) => text((await read(kinesis, 's', S(0), position, 1))[0]!);
  t.deepEqual(await first({ type: 'TRIM_HORIZON' }), ['a', 'b', 'c', 'd']);
  t.deepEqual(await first({ type: 'LATEST' }), []);
  t.deepEqual(await first({ type: 'AT_SEQUENCE_NUMBER', sequenceNumber: put[1]!.sequenceNumber }), ['b', 'c', 'd']);
  t.deepEqual(await first({ type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: put[1]!.sequenceNumber }), ['c', 'd']);
  t.deepEqual(await first({ type: 'AT_TIMESTAMP', timestamp: new Date(1_030) }), ['c', 'd']);
  const err = await t.throwsAsync(first({ type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: 'not-a-number' }), { instanceOf: KinesisError });
  t.false(err?.retriable);

  // Pages follow the limit; a LATEST iterator sees what came after it was taken.
  t.deepEqual((await read(kinesis, 's', S(0), { type: 'TRIM_HORIZON' }, 3, 3)).map(text), [['a', 'b', 'c'], ['d'], []]);
  const pages = await read(kinesis, 's', S(0), { type: 'TRIM_HORIZON' }, 1, 3);
  t.true((pages[0]!.millisBehindLatest ?? 0) > 0, 'behind the tip while records remain');
});

test('a split closes the parent: its last page has no next iterator, and the children name it; a merge names both parents', async (t) => {
  const kinesis = new FakeKinesis({ scheduler: asyncScheduler });
  kinesis.createStream('s', { shards: 1 });
  kinesis.putRecord('s', { partitionKey: 'before', data: 'before' });
  const [low, high] = kinesis.splitShard('s', S(0));
  t.deepEqual([low, high], [S(1), S(2)]);
  const after = kinesis.putRecord('s', { partitionKey: 'after', data: 'after' });
  t.not(after.shardId, S(0));

  const parent = await read(kinesis, 's', S(0), { type: 'TRIM_HORIZON' });
  t.deepEqual(parent.map(text), [['before']]);
  t.is(parent[0]!.nextShardIterator, undefined);

  const merged = kinesis.mergeShards('s', S(1), S(2));
  const shards = await firstValueFrom(kinesis.listShards('s'));
  t.deepEqual(
    shards.map((s) => [s.shardId, s.closed, s.parentShardId, s.adjacentParentShardId]),
    [
      [S(0), true, undefined, undefined],
      [S(1), true, S(0), undefined],
      [S(2), true, S(0), undefined],
      [merged, false, S(1), S(2)],
    ],
  );
  t.true(shards.every((s) => typeof s.startingSequenceNumber === 'string'));
  t.throws(() => kinesis.splitShard('s', S(0)), { message: /closed already/ });
  t.throws(() => kinesis.mergeShards('s', S(3), S(0)), { message: /closed already/ });
});

test('failures are typed like the real seam: a missing stream, a missing shard, injected ones', async (t) => {
  const kinesis = new FakeKinesis({ scheduler: asyncScheduler });
  await t.throwsAsync(firstValueFrom(kinesis.listShards('nope')), { instanceOf: StreamNotFoundError });
  kinesis.createStream('s', { shards: 2 });
  const missing = await t.throwsAsync(firstValueFrom(kinesis.getShardIterator('s', S(9), { type: 'LATEST' })), { instanceOf: KinesisError });
  t.true(missing?.retriable);

  kinesis.failNext('getShardIterator', { shardId: S(1), times: 2, error: { name: 'ProvisionedThroughputExceededException' } });
  await t.notThrowsAsync(firstValueFrom(kinesis.getShardIterator('s', S(0), { type: 'LATEST' })));
  await t.throwsAsync(firstValueFrom(kinesis.getShardIterator('s', S(1), { type: 'LATEST' })), { instanceOf: ThrottledError });
  await t.throwsAsync(firstValueFrom(kinesis.getShardIterator('s', S(1), { type: 'LATEST' })), { instanceOf: ThrottledError });
  await t.notThrowsAsync(firstValueFrom(kinesis.getShardIterator('s', S(1), { type: 'LATEST' })));
  t.deepEqual(
    kinesis.calls.map((c) => [c.op, c.shardId]),
    [['listShards', undefined], ['getShardIterator', S(9)], ['getShardIterator', S(0)], ['getShardIterator', S(1)], ['getShardIterator', S(1)], ['getShardIterator', S(1)]],
  );
});

test('answers come on the scheduler after the latency, and readers() logs each reader from GetShardIterator until it leaves or ends', (t) => {
  const scheduler = testScheduler(t);
  scheduler.run(({ expectObservable, expectSubscriptions }) => {
    const kinesis = new FakeKinesis({ scheduler, latency: 5 });
    kinesis.createStream('s', { shards: 2 });
    kinesis.putRecord('s', { partitionKey: 'k', data: 'x', explicitHashKey: '0' });
    expectObservable(kinesis.listShards('s').pipe(mergeMap((shards) => shards.map((s) => s.shardId)))).toBe('5ms (ab|)', { a: S(0), b: S(1) });

    // A reader of shard 0 that is left at frame 20, and one of shard 1 that reads it to its end.
    expectObservable(kinesis.getShardIterator('s', S(0), { type: 'TRIM_HORIZON' }).pipe(mergeMap(() => EMPTY)), '^ 19ms !').toBe('');
    scheduler.schedule(() => kinesis.splitShard('s', S(1)), 30);
    const reader = kinesis.getShardIterator('s', S(1), { type: 'TRIM_HORIZON' }).pipe(
      mergeMap((iterator) => kinesis.getRecords('s', S(1), iterator, 10)),
      expand((page) => (page.nextShardIterator === undefined ? EMPTY : kinesis.getRecords('s', S(1), page.nextShardIterator, 10))),
    );
    // Iterator at 15, empty pages at 20 and 25; the call made at 25 answers at 30, after the split.
    const ends = scheduler.createColdObservable('10ms a').pipe(mergeMap(() => reader), mergeMap((page) => (page.nextShardIterator ? [] : ['end'])));
    expectObservable(ends).toBe('30ms e', { e: 'end' });
    expectSubscriptions(kinesis.readers('s', S(0))).toBe('^ 19ms !');
    expectSubscriptions(kinesis.readers('s', S(1))).toBe('10ms ^ 19ms !');
  });
});
