/**
 * pause() and resume() on virtual time: a paused shard's reader makes no Kinesis call, the shard
 * stays owned, heartbeats and commits go on (marks of records delivered before the pause count),
 * and resume() goes on where reading stopped. And the pause rules, from the consumer down to one
 * shard.
 */
import test from 'ava';
import { concatMap, delay, of } from 'rxjs';
import { checkpoint } from '../../src/checkpoint/checkpoint.js';
import { UsageError } from '../../src/errors.js';
import { createKinesumer } from '../../src/index.js';
import { silentLogger } from '../../src/logger.js';
import type { KinesumerEvent } from '../../src/metrics/metrics.js';
import { PauseControl } from '../../src/shard/pause-control.js';
import { MemoryStateStore } from '../../src/state-store/memory-state-store.js';
import { FakeKinesis, makeRecords, openShards } from '../helpers/fake-kinesis.js';
import { testScheduler } from '../helpers/marbles.js';

const S0 = 'shardId-000000000000';
const S1 = 'shardId-000000000001';

test('a paused shard: no GetRecords call from pause() to resume(), then reading goes on where it stopped; heartbeats and commits go on meanwhile', (t) => {
  const scheduler = testScheduler(t);
  const store = new MemoryStateStore();
  let calls: number[] = [];
  const delivered: string[] = [];
  const paused: unknown[] = [];
  const events: string[] = [];
  const beats: unknown[] = [];
  let records: ReturnType<typeof makeRecords> = [];
  scheduler.run((helpers) => {
    const kinesis = new FakeKinesis(helpers, () => scheduler.now(), { s: openShards(1) });
    records = makeRecords(0, 0, 6);
    // three pages of two records; each is short, so the reader asks again idleInterval (1000) later
    for (let i = 0; i < 3; i++) kinesis.queue('s', S0, records.slice(2 * i, 2 * i + 2));
    const consumer = createKinesumer({
      app: 'app',
      clientId: 'a',
      kinesis,
      stateStore: store,
      initialPosition: 'TRIM_HORIZON',
      scheduler,
      logger: silentLogger,
      group: { syncInterval: 2000, clientTimeout: 4000 },
    });
    consumer.paused$.subscribe((p) => paused.push([scheduler.now(), p]));
    consumer.events$.subscribe((e: KinesumerEvent) => e.type.startsWith('shardP') || e.type === 'shardResumed' ? events.push(`${e.at} ${e.type}`) : undefined);
    consumer
      .consume(['s'])
      .pipe(
        // processing takes 1500 ms a record: marks land while the shard is paused
        concatMap((r) => of(r).pipe(delay(1500))),
        checkpoint(consumer),
      )
      .subscribe((r) => delivered.push(r.sequenceNumber));
    // given pages read at 0 and 1000, when the shard is paused at 1500 and resumed at 4500
    scheduler.schedule(() => consumer.pause('s', [S0]), 1500);
    for (const at of [2001, 4001]) scheduler.schedule(() => beats.push([at - 1, store.snapshot().heartbeats['app']?.['a']]), at);
    scheduler.schedule(() => consumer.resume('s', [S0]), 4500);
    scheduler.schedule(() => (calls = kinesis.calls.filter((c) => c.op === 'getRecords').map((c) => c.at)), 7999);
    scheduler.schedule(() => void consumer.close({ drainTimeout: 0 }), 12_000);
  });
  // then: calls at 0 and 1000, none while paused (2000, 3000, 4000 skipped), at 4500 at once, then every 1000
  t.deepEqual(calls, [0, 1000, 4500, 5500, 6500, 7500]);
  t.deepEqual(delivered, records.map((r) => r.SequenceNumber!), 'every record once, in order');
  t.deepEqual(paused, [
    [0, {}],
    [1500, { s: [S0] }],
    [4500, {}],
  ]);
  t.deepEqual(events, ['1500 shardPaused', '4500 shardResumed']);
  // the heartbeats while paused: the shard is still held, says it is paused, and commits the marks
  // of the records delivered before the pause (processing marks record 0 at 1500, record 1 at 3000)
  const [at2000, at4000] = beats as [number, { checkpoints: Record<string, Record<string, { sequenceNumber: string }>>; stats: Record<string, Record<string, { state?: string }>> }][];
  t.is(at2000![1].stats['s']![S0]!.state, 'paused');
  t.is(at2000![1].checkpoints['s']![S0]!.sequenceNumber, records[0]!.SequenceNumber!, 'record 0, marked at 1500');
  t.is(at4000![1].stats['s']![S0]!.state, 'paused');
  t.is(at4000![1].checkpoints['s']![S0]!.sequenceNumber, records[1]!.SequenceNumber!, 'record 1, marked at 3000 while paused');
  t.is(store.snapshot().states['app']!['s']![0]!.owner, undefined, 'released on close');
});

test('the pause rules: the most specific wins; pause() and resume() without arguments reset everything', (t) => {
  const pause = new PauseControl();
  const on = (stream: string, shard: string) => pause.isPaused(stream, shard);
  t.false(on('a', S0));
  pause.pause('a');
  t.true(on('a', S0) && on('a', S1) && !on('b', S0), 'a stream');
  pause.resume('a', [S1]);
  t.true(on('a', S0) && !on('a', S1), 'one shard resumed while its stream is paused');
  pause.pause('a');
  t.true(on('a', S1), "pausing the stream again clears its shards' rules");
  pause.resume();
  t.false(on('a', S0) || on('a', S1));
  pause.pause();
  t.true(on('a', S0) && on('z', S1), 'everything, streams not named too');
  pause.resume('z');
  t.true(on('a', S0) && !on('z', S1));
  pause.pause('a', [S0]);
  pause.resume();
  t.false(on('a', S0) || on('z', S1), 'resume() clears every rule');
  t.deepEqual(pause.pausedOf({ a: [S0, S1] }), {});
  pause.pause('a', [S1]);
  t.deepEqual(pause.pausedOf({ a: [S0, S1], b: [S0] }), { a: [S1] });
});

test('pause() and resume() refuse bad arguments with a UsageError, and closed consumers with a ClosedError', async (t) => {
  const consumer = createKinesumer({ app: 'app', kinesis: new FakeKinesis(undefined, Date.now, {}), stateStore: new MemoryStateStore(), logger: silentLogger });
  for (const [stream, shards] of [['bad name!', undefined], [42, undefined], ['s', 'shardId-1'], ['s', [1]], ['s', ['']], [undefined, ['shardId-1']]] as const) {
    const err = t.throws(() => consumer.pause(stream as never, shards as never), { instanceOf: UsageError });
    t.is(err!.code, 'INVALID_PAUSE', String(stream));
  }
  t.notThrows(() => consumer.pause('arn:aws:kinesis:eu-west-1:123456789012:stream/orders', ['shardId-1']));
  t.notThrows(() => consumer.resume('orders'));
  await consumer.close();
  t.is(t.throws<UsageError>(() => consumer.resume())!.code, 'CLOSED');
});
