/**
 * shardStalled on virtual time: an owned shard that is behind the tip (or cannot be read) and
 * delivers nothing for metrics.stallTimeout is reported once per stall, as an event, an error and
 * in metrics and heartbeats; a paused shard is not.
 */
import test from 'ava';
import { defer, throwError, type Observable } from 'rxjs';
import { checkpoint } from '../../src/checkpoint/checkpoint.js';
import { KinesisError, type KinesumerError } from '../../src/errors.js';
import { createKinesumer } from '../../src/index.js';
import type { StartPosition } from '../../src/kinesis/kinesis-api.js';
import { silentLogger } from '../../src/logger.js';
import type { KinesumerEvent, KinesumerMetrics } from '../../src/metrics/metrics.js';
import { MemoryStateStore } from '../../src/state-store/memory-state-store.js';
import { FakeKinesis, makeRecords, openShards } from '../helpers/fake-kinesis.js';
import { testScheduler } from '../helpers/marbles.js';

const S0 = 'shardId-000000000000';

function consumerOn(kinesis: FakeKinesis | object, store: MemoryStateStore, scheduler: ReturnType<typeof testScheduler>) {
  return createKinesumer({
    app: 'app',
    clientId: 'a',
    kinesis: kinesis as FakeKinesis,
    stateStore: store,
    initialPosition: 'TRIM_HORIZON',
    scheduler,
    logger: silentLogger,
    group: { syncInterval: 1000, clientTimeout: 3000 },
    metrics: { interval: 100_000, stallTimeout: 2000 },
  });
}

test('a shard behind the tip that delivers nothing for stallTimeout is reported once; a delivery ends the stall, and a later one is reported again', (t) => {
  const scheduler = testScheduler(t);
  const store = new MemoryStateStore();
  const events: KinesumerEvent[] = [];
  const errors: KinesumerError[] = [];
  const snapshots: [number, KinesumerMetrics['shards'][number] | undefined][] = [];
  const beats: [number, unknown][] = [];
  scheduler.run((helpers) => {
    const kinesis = new FakeKinesis(helpers, () => scheduler.now(), { s: openShards(1) });
    // records at 0, then empty pages 5000 ms behind (one every 200 ms) until about 4000 ms,
    // then records again, then empty pages behind again
    kinesis.queue('s', S0, makeRecords(0, 0, 2), { millisBehindLatest: 5000 });
    for (let i = 0; i < 20; i++) kinesis.queue('s', S0, [], { millisBehindLatest: 5000 });
    kinesis.queue('s', S0, makeRecords(0, 2, 2), { millisBehindLatest: 5000 });
    for (let i = 0; i < 200; i++) kinesis.queue('s', S0, [], { millisBehindLatest: 5000 });
    const consumer = consumerOn(kinesis, store, scheduler);
    consumer.events$.subscribe((e) => e.type === 'shardStalled' && events.push(e));
    consumer.errors$.subscribe((e) => errors.push(e));
    consumer.consume(['s']).pipe(checkpoint(consumer)).subscribe();
    for (const at of [1999, 2001, 4300, 6501]) {
      scheduler.schedule(() => snapshots.push([at, consumer.metricsSnapshot().shards[0]]), at);
    }
    scheduler.schedule(() => beats.push([3001, store.snapshot().heartbeats['app']?.['a']?.stats]), 3001);
    scheduler.schedule(() => void consumer.close(), 9000);
  });
  // checks every 500 ms: delivered at 0, stalled at 2000; delivered at 4200, stalled again at 6500
  t.deepEqual(
    events.map((e) => [e.at, e.type === 'shardStalled' && [e.idleMs, e.millisBehindLatest]]),
    [
      [2000, [2000, 5000]],
      [6500, [2300, 5000]],
    ],
  );
  t.deepEqual(errors.map((e) => e.code), ['SHARD_STALLED', 'SHARD_STALLED']);
  t.regex(errors[0]!.message, /Shard shardId-000000000000 of stream "s" is stalled: 5000 ms behind the tip at its last read, and nothing delivered for 2000 ms/);
  t.deepEqual(snapshots.map(([at, s]) => [at, s?.stalled, s?.stalls, s?.state]), [
    [1999, false, 0, 'reading'],
    [2001, true, 1, 'stalled'],
    [4300, false, 1, 'reading'],
    [6501, true, 2, 'stalled'],
  ]);
  t.deepEqual(beats, [[3001, { s: { [S0]: { state: 'stalled', lagMs: 5000, lastRecordAgeMs: 3000, inFlight: 0 } } }]]);
});

test('a paused shard is not stalled, and neither is one at the tip', (t) => {
  const scheduler = testScheduler(t);
  const store = new MemoryStateStore();
  const events: KinesumerEvent[] = [];
  scheduler.run((helpers) => {
    const kinesis = new FakeKinesis(helpers, () => scheduler.now(), { s: openShards(2) });
    kinesis.queue('s', S0, makeRecords(0, 0, 2), { millisBehindLatest: 5000 });
    // shard 1: no records, at the tip
    const consumer = consumerOn(kinesis, store, scheduler);
    consumer.events$.subscribe((e) => e.type === 'shardStalled' && events.push(e));
    consumer.consume(['s']).pipe(checkpoint(consumer)).subscribe();
    scheduler.schedule(() => consumer.pause('s', [S0]), 100);
    scheduler.schedule(() => void consumer.close(), 9000);
  });
  t.deepEqual(events, []);
});

test('a shard whose start position Kinesis rejects is reported stalled with the code, and its heartbeat names the cause', (t) => {
  const scheduler = testScheduler(t);
  const store = new MemoryStateStore();
  const errors: KinesumerError[] = [];
  let beat: unknown;
  scheduler.run((helpers) => {
    const fake = new FakeKinesis(helpers, () => scheduler.now(), { s: openShards(1) });
    const refused = Object.assign(new Error('Invalid StartingSequenceNumber'), { name: 'InvalidArgumentException' });
    const kinesis = Object.assign(Object.create(fake) as FakeKinesis, {
      getShardIterator: (stream: string, shardId: string, _position: StartPosition): Observable<string> =>
        defer(() => throwError(() => new KinesisError('GetShardIterator', stream, shardId, 'refused', { cause: refused, retriable: false }))),
    });
    const consumer = consumerOn(kinesis, store, scheduler);
    consumer.errors$.subscribe((e) => errors.push(e));
    consumer.consume(['s']).pipe(checkpoint(consumer)).subscribe();
    scheduler.schedule(() => (beat = store.snapshot().heartbeats['app']?.['a']?.stats), 3001);
    scheduler.schedule(() => void consumer.close(), 4000);
  });
  const stalled = errors.filter((e) => e.code === 'SHARD_STALLED');
  t.is(stalled.length, 1);
  t.regex(stalled[0]!.message, /never read successfully, and nothing delivered for 2000 ms \(its Kinesis calls fail: InvalidArgumentException\)/);
  t.deepEqual(beat, { s: { [S0]: { state: 'checkpointRejected', error: 'InvalidArgumentException', inFlight: 0 } } });
});
