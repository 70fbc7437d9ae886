/**
 * A seek as its owner lives it, on virtual time: the reader stops in the frame the owner learns
 * of the seek (a sync round's snapshot, or a refused write), the shard is taken again in that
 * frame and read from the seek's target; nothing is drained, nothing is reported lost, and marks
 * from before the seek never land.
 */
import test from 'ava';
import { Subject, type Subscription } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { Checkpointer } from '../../src/checkpoint/checkpointer.js';
import { checkpoint } from '../../src/checkpoint/checkpoint.js';
import type { KinesumerError } from '../../src/errors.js';
import type { StreamSnapshot } from '../../src/group/shard-lineage.js';
import { createKinesumer } from '../../src/index.js';
import { silentLogger } from '../../src/logger.js';
import type { KinesumerEvent } from '../../src/metrics/metrics.js';
import { MetricsRecorder } from '../../src/metrics/metrics-recorder.js';
import type { KinesumerRecord } from '../../src/record.js';
import { PauseControl } from '../../src/shard/pause-control.js';
import { shardSession, type ShardSessionOptions } from '../../src/shard/shard-session.js';
import { MemoryStateStore } from '../../src/state-store/memory-state-store.js';
import { FakeKinesis, makeRecords, openShards } from '../helpers/fake-kinesis.js';
import { testScheduler } from '../helpers/marbles.js';

const S0 = 'shardId-000000000000';

function session(scheduler: TestScheduler, kinesis: FakeKinesis, store: MemoryStateStore, assigned = () => true) {
  const reported: KinesumerError[] = [];
  const report = (e: KinesumerError) => reported.push(e);
  const recorder = new MetricsRecorder('app', 'a', scheduler);
  const checkpointer = new Checkpointer({ app: 'app', clientId: 'a', store, scheduler, timeout: 2000, report, recorder });
  const snapshots = new Subject<StreamSnapshot>();
  let last: StreamSnapshot = { shards: [{ id: S0, closed: false }], states: new Map() };
  const options: ShardSessionOptions = {
    app: 'app',
    clientId: 'a',
    store,
    kinesis,
    efo: undefined,
    pause: new PauseControl(),
    checkpointer,
    recorder,
    report,
    scheduler,
    syncInterval: 5000,
    clientTimeout: 10_000,
    retry: { initialDelay: 100, maxDelay: 30_000, random: () => 0 },
    polling: { scanLimit: 100, scanTimeout: 2000, idleInterval: 1000, maxInFlight: 4000 },
    initialPosition: 'TRIM_HORIZON',
    snapshot: () => last,
    snapshots$: snapshots,
    assigned,
    tracked: () => false,
    isStopping: () => false,
  };
  const delivered: string[] = [];
  const events: string[] = [];
  recorder.events$.subscribe((e) => events.push(`${e.at} ${e.type}`));
  const run = (): Subscription =>
    shardSession('s', S0, options).subscribe((page: KinesumerRecord[]) => {
      for (const record of page) {
        delivered.push(record.sequenceNumber);
        checkpointer.mark(record);
      }
    });
  /** A sync round at this frame shows the shard's state as the store has it now. */
  const round = () => {
    last = { shards: [{ id: S0, closed: false }], states: new Map(store.snapshot().states['app']?.['s']?.map((s) => [s.shardId, s]) ?? []) };
    snapshots.next(last);
  };
  return { reported, checkpointer, delivered, events, run, round };
}

const seekTo = (store: MemoryStateStore, target: string) => store.seekShard('app', 's', S0, { seekTo: target, now: new Date(0) }).subscribe();

test('a round showing a newer seek stops the reader in that frame and reads again from the target at once; no drain, no loss reported', (t) => {
  const scheduler = testScheduler(t);
  const store = new MemoryStateStore();
  const records = makeRecords(0, 0, 4);
  let positions: unknown[] = [];
  let harness: ReturnType<typeof session> | undefined;
  scheduler.run((helpers) => {
    const kinesis = new FakeKinesis(helpers, () => scheduler.now(), { s: openShards(1) });
    kinesis.queue('s', S0, records.slice(0, 2));
    harness = session(scheduler, kinesis, store);
    const sub = harness.run();
    // given the shard read since 0, when it is sought at 2500 and a round shows it at 3000
    scheduler.schedule(() => seekTo(store, `AT_SEQUENCE_NUMBER:${records[1]!.SequenceNumber}`), 2500);
    scheduler.schedule(() => kinesis.queue('s', S0, records.slice(1)), 2900); // what the new read gets
    scheduler.schedule(() => harness!.round(), 3000);
    scheduler.schedule(() => sub.unsubscribe(), 6000);
    // then the reader stops at 3000 and a new one starts in that frame
    helpers.expectSubscriptions(kinesis.iterator('s', S0).subscriptions).toBe(['^ 2999ms !', '3000ms ^ 2999ms !']);
    scheduler.schedule(() => (positions = kinesis.calls.filter((c) => c.op === 'getShardIterator').map((c) => [c.at, c.position])), 5999);
  });
  t.deepEqual(positions, [
    [0, { type: 'TRIM_HORIZON' }],
    [3000, { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: records[1]!.SequenceNumber }],
  ]);
  const { delivered, events, reported } = harness!;
  t.deepEqual(delivered, [records[0], records[1], records[1], records[2], records[3]].map((r) => r!.SequenceNumber), 'the first record from the new position right after the seek');
  t.deepEqual(events, ['0 shardAcquired', '3000 shardSought', '3000 shardAcquired', '6000 checkpointCommitted', '6000 shardReleased']);
  t.deepEqual(reported.map((e) => e.code), []);
  const [state] = store.snapshot().states['app']!['s']!;
  t.like(state, { seek: 1, sequenceNumber: records[3]!.SequenceNumber, owner: undefined }, 'the release wrote the new reading, fenced on the new seek');
  t.is(state!.seekTo, undefined);
});

test('a write refused because of a seek stops the shard in that frame, quietly; it is read again once a round shows the seek; the marks made before it never land', (t) => {
  const scheduler = testScheduler(t);
  const store = new MemoryStateStore();
  const records = makeRecords(0, 0, 3);
  let harness: ReturnType<typeof session> | undefined;
  scheduler.run((helpers) => {
    const kinesis = new FakeKinesis(helpers, () => scheduler.now(), { s: openShards(1) });
    kinesis.queue('s', S0, records);
    harness = session(scheduler, kinesis, store);
    const sub = harness.run();
    scheduler.schedule(() => seekTo(store, 'TRIM_HORIZON'), 1500);
    // the owner commits its marks at 2000 before any round showed the seek
    scheduler.schedule(() => harness!.checkpointer.commit$().subscribe(), 2000);
    // the next round, at 3000, shows the seek and still assigns the shard
    scheduler.schedule(() => harness!.round(), 3000);
    scheduler.schedule(() => sub.unsubscribe(), 4000);
    // then the reader stops at 2000; the shard is taken again at once but read only from 3000
    helpers.expectSubscriptions(kinesis.iterator('s', S0).subscriptions).toBe(['^ 1999ms !', '3000ms ^ 999ms !']);
  });
  t.deepEqual(harness!.reported.map((e) => e.code), [], 'not reported as a lost shard');
  t.deepEqual(harness!.events, ['0 shardAcquired', '2000 shardSought', '2000 shardAcquired', '4000 shardReleased']);
  t.like(store.snapshot().states['app']!['s']![0], { seek: 1, sequenceNumber: undefined, seekTo: 'TRIM_HORIZON' }, 'the pre-seek marks were refused; the new reading read nothing yet');
});

test('a shard taken with a seek no round has shown is not read until one does, and then only if still assigned; else it is freed unread', (t) => {
  const scheduler = testScheduler(t);
  const store = new MemoryStateStore();
  let assignedNow = true;
  let harness: ReturnType<typeof session> | undefined;
  scheduler.run((helpers) => {
    const kinesis = new FakeKinesis(helpers, () => scheduler.now(), { s: openShards(1) });
    // given a seek written before this client takes the shard, by a round that had not seen it
    seekTo(store, 'TRIM_HORIZON');
    harness = session(scheduler, kinesis, store, () => assignedNow);
    const sub = harness.run();
    // when the next round (1000) shows the seek but no longer assigns the shard (its parent must be read first)
    scheduler.schedule(() => {
      assignedNow = false;
      harness!.round();
    }, 1000);
    scheduler.schedule(() => sub.unsubscribe(), 1000);
    // then it was never read
    helpers.expectSubscriptions(kinesis.iterator('s', S0).subscriptions).toBe([]);
  });
  t.like(store.snapshot().states['app']!['s']![0], { owner: undefined, finished: false, seek: 1, seekTo: 'TRIM_HORIZON' }, 'freed unread, the seek still pending for whoever reads it');
});

test('a sought shard that is no longer assigned is freed at once without writing its marks', (t) => {
  const scheduler = testScheduler(t);
  const store = new MemoryStateStore();
  let harness: ReturnType<typeof session> | undefined;
  scheduler.run((helpers) => {
    const kinesis = new FakeKinesis(helpers, () => scheduler.now(), { s: openShards(1) });
    kinesis.queue('s', S0, makeRecords(0, 0, 2));
    harness = session(scheduler, kinesis, store, () => false);
    harness.run();
    scheduler.schedule(() => seekTo(store, 'TRIM_HORIZON'), 500);
    scheduler.schedule(() => harness!.round(), 1000);
    helpers.expectSubscriptions(kinesis.iterator('s', S0).subscriptions).toBe('^ 999ms !');
  });
  t.like(store.snapshot().states['app']!['s']![0], { owner: undefined, seek: 1, seekTo: 'TRIM_HORIZON', sequenceNumber: undefined });
  t.deepEqual(harness!.events, ['0 shardAcquired', '1000 shardSought', '1000 shardReleased']);
});

test('a running member notices a seek at its next sync round and reads from the target; its pre-seek heartbeat marks are not taken back', (t) => {
  const scheduler = testScheduler(t);
  const store = new MemoryStateStore();
  const records = makeRecords(0, 0, 6);
  const events: string[] = [];
  const errors: string[] = [];
  let positions: unknown[] = [];
  scheduler.run((helpers) => {
    const kinesis = new FakeKinesis(helpers, () => scheduler.now(), { s: openShards(1) });
    kinesis.queue('s', S0, records.slice(0, 4));
    const consumer = createKinesumer({
      app: 'app',
      clientId: 'a',
      kinesis,
      stateStore: store,
      initialPosition: 'TRIM_HORIZON',
      scheduler,
      logger: silentLogger,
      group: { syncInterval: 1000, clientTimeout: 3000 },
    });
    consumer.events$.subscribe((e: KinesumerEvent) => (e.type === 'shardSought' || e.type === 'shardAcquired') && events.push(`${e.at} ${e.type}`));
    consumer.errors$.subscribe((e) => errors.push(e.code));
    consumer.consume(['s']).pipe(checkpoint(consumer)).subscribe();
    // given the heartbeat at 2000 committed the marks of the first 4 records, when the shard is
    // sought back at 2500 (between rounds)
    scheduler.schedule(() => seekTo(store, 'TRIM_HORIZON'), 2500);
    scheduler.schedule(() => kinesis.queue('s', S0, records), 2600);
    scheduler.schedule(() => (positions = kinesis.calls.filter((c) => c.op === 'getShardIterator').map((c) => [c.at, c.position])), 4999);
    scheduler.schedule(() => void consumer.close(), 5000);
  });
  // then the round at 3000 (the leader reads every state) restarts it there
  t.deepEqual(positions, [
    [0, { type: 'TRIM_HORIZON' }],
    [3000, { type: 'TRIM_HORIZON' }],
  ]);
  t.deepEqual(events, ['0 shardAcquired', '3000 shardSought', '3000 shardAcquired']);
  t.deepEqual(errors, []);
  const [state] = store.snapshot().states['app']!['s']!;
  t.like(state, { seek: 1, sequenceNumber: records[5]!.SequenceNumber }, 'the item holds the new reading, not the pre-seek heartbeat marks');
});
