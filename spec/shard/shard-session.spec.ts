/**
 * One shard session on virtual time, driven directly: take, start, read, lost, release. The test
 * kit's FakeKinesis logs each reader's lifetime (`readers()`), so the subscription diagrams give
 * the frames at which reading started (^) and stopped (!).
 */
import test from 'ava';
import { type Subscription } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { Checkpointer } from '../../src/checkpoint/checkpointer.js';
import type { KinesumerError } from '../../src/errors.js';
import type { StreamSnapshot } from '../../src/group/shard-lineage.js';
import { MetricsRecorder } from '../../src/metrics/metrics-recorder.js';
import type { KinesumerRecord } from '../../src/record.js';
import { PauseControl } from '../../src/shard/pause-control.js';
import { shardSession, type ShardSessionOptions } from '../../src/shard/shard-session.js';
import { MemoryStateStore } from '../../src/state-store/memory-state-store.js';
import type { FakeKinesis } from '../../src/testing/fake-kinesis.js';
import { fakeKinesis, putOn } from '../helpers/kit.js';
import { testScheduler } from '../helpers/marbles.js';

const S0 = 'shardId-000000000000';

function setup(scheduler: TestScheduler, kinesis: FakeKinesis, store: MemoryStateStore, extra: Partial<ShardSessionOptions> = {}) {
  const reported: KinesumerError[] = [];
  const report = (e: KinesumerError) => reported.push(e);
  const recorder = new MetricsRecorder('app', 'a', scheduler);
  const checkpointer = new Checkpointer({ app: 'app', clientId: 'a', store, scheduler, timeout: 2000, report, recorder });
  const snapshot: StreamSnapshot = { shards: [{ id: S0, closed: false }], states: new Map() };
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
    snapshot: () => snapshot,
    tracked: () => false,
    isStopping: () => false,
    ...extra,
  };
  const delivered: string[] = [];
  const run = (): Subscription =>
    shardSession('s', S0, options).subscribe((page: KinesumerRecord[]) => {
      for (const record of page) {
        delivered.push(record.sequenceNumber);
        checkpointer.mark(record);
      }
    });
  return { reported, checkpointer, delivered, run };
}

test('a free shard is taken and read at once; when the session ends, its marks are written and it is freed', (t) => {
  const scheduler = testScheduler(t);
  const store = new MemoryStateStore();
  let records: string[] = [];
  let positions: unknown[] = [];
  scheduler.run((helpers) => {
    const kinesis = fakeKinesis(scheduler, { s: 1 });
    records = putOn(kinesis, 's', 0, 3);
    const { run } = setup(scheduler, kinesis, store);
    // given a session from frame 0, when it is unsubscribed at 3000 ms (the shard was assigned away)
    const sub = run();
    scheduler.schedule(() => sub.unsubscribe(), 3000);
    // then the reader runs exactly that long
    helpers.expectSubscriptions(kinesis.readers('s', S0)).toBe('^ 2999ms !');
    scheduler.schedule(() => (positions = kinesis.calls.filter((c) => c.op === 'getShardIterator').map((c) => c.position)), 2999);
  });
  t.deepEqual(positions, [{ type: 'TRIM_HORIZON' }]);
  const [stored] = store.snapshot().states['app']!['s']!;
  t.is(stored!.owner, undefined, 'released');
  t.is(stored!.sequenceNumber, records[2], 'the last marked record was committed on release');
});

test('a shard a live client still holds is asked for every syncInterval/5 and read after its checkpoint once freed', (t) => {
  const scheduler = testScheduler(t);
  const store = new MemoryStateStore();
  let positions: unknown[] = [];
  scheduler.run((helpers) => {
    const kinesis = fakeKinesis(scheduler, { s: 1 });
    // given b, alive, holds the shard with checkpoint 42
    store.pingClient('app', 'b', new Date(0)).subscribe();
    store.acquireShard('app', 's', S0, { clientId: 'b', aliveSince: new Date(-1), shardStart: undefined, now: new Date(0) }).subscribe();
    store.commitShard('app', 's', S0, { clientId: 'b', sequenceNumber: '42', previous: undefined, finished: false, now: new Date(0) }).subscribe();
    // when b releases it at 2500 ms
    scheduler.schedule(() => store.releaseShard('app', 's', S0, 'b').subscribe(), 2500);
    const { run } = setup(scheduler, kinesis, store);
    const sub = run();
    scheduler.schedule(() => sub.unsubscribe(), 5000);
    // then a takes it at its next try, 3000 ms (tries at 0, 1000, 2000 failed)
    helpers.expectSubscriptions(kinesis.readers('s', S0)).toBe('3000ms ^ 1999ms !');
    scheduler.schedule(() => (positions = kinesis.calls.filter((c) => c.op === 'getShardIterator').map((c) => c.position)), 4000);
  });
  t.deepEqual(positions, [{ type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: '42' }]);
});

test('a fenced write that finds another owner stops the reader in that frame; the shard is taken again once it is free', (t) => {
  const scheduler = testScheduler(t);
  const store = new MemoryStateStore();
  let reportedCodes: string[] = [];
  scheduler.run((helpers) => {
    const kinesis = fakeKinesis(scheduler, { s: 1 });
    putOn(kinesis, 's', 0, 2);
    const { run, checkpointer, reported } = setup(scheduler, kinesis, store);
    const sub = run();
    // given b takes the shard over at 1500 ms (it counted a as dead) and stays alive until 6000
    scheduler.schedule(() => {
      store.pingClient('app', 'b', new Date(1500)).subscribe();
      store.acquireShard('app', 's', S0, { clientId: 'b', aliveSince: new Date(1500), shardStart: undefined, now: new Date(1500) }).subscribe();
    }, 1500);
    // when a commits at 2000 ms, and b leaves at 6000
    scheduler.schedule(() => checkpointer.commit$().subscribe(), 2000);
    scheduler.schedule(() => store.releaseShard('app', 's', S0, 'b').subscribe(), 6000);
    scheduler.schedule(() => sub.unsubscribe(), 9000);
    // then the reader stops at 2000; a asks again from 3000 every 1000 and reads again from 6000
    helpers.expectSubscriptions(kinesis.readers('s', S0)).toBe(['^ 1999ms !', '6000ms ^ 2999ms !']);
    scheduler.schedule(() => (reportedCodes = reported.map((e) => e.code)), 8999);
  });
  t.deepEqual(reportedCodes, ['SHARD_LOST']);
});

test('while the consumer is closing, a session that ends leaves the release to close()', (t) => {
  const scheduler = testScheduler(t);
  const store = new MemoryStateStore();
  scheduler.run((helpers) => {
    const kinesis = fakeKinesis(scheduler, { s: 1 });
    const { run } = setup(scheduler, kinesis, store, { isStopping: () => true });
    const sub = run();
    scheduler.schedule(() => sub.unsubscribe(), 1000);
    helpers.expectSubscriptions(kinesis.readers('s', S0)).toBe('^ 999ms !');
  });
  t.is(store.snapshot().states['app']!['s']![0]!.owner, 'a', 'still held: close() commits what the pipelines drained, then frees it');
});
