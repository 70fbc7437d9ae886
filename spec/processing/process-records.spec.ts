/**
 * processRecords() on virtual time: members on one TestScheduler with the in-memory store and a
 * fake Kinesis; handlers are timers, so every start, finish, checkpoint and release has an exact
 * frame. Default timings: syncInterval 5000 ms, clientTimeout 10000 ms, commit.timeout 2000 ms.
 */
import type { _Record } from '@aws-sdk/client-kinesis';
import test from 'ava';
import { map, of, throwError, timer } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { createKinesumer, processRecords, type Kinesumer, type KinesumerError, type KinesumerEvent, type ProcessingFailure } from '../../src/index.js';
import { MemoryStateStore } from '../../src/state-store/memory-state-store.js';
import { FakeKinesis, openShards } from '../helpers/fake-kinesis.js';
import { testScheduler } from '../helpers/marbles.js';

const S = (i: number) => `shardId-${String(i).padStart(12, '0')}`;
const seq = (shard: number, n: number) => `4959${String(shard).padStart(4, '0')}${String(n).padStart(20, '0')}`;

/** Records of one shard with the given partition keys, in order; record n's payload is `key:n`. */
function records(shard: number, keys: string[], arrivedAt = 0): _Record[] {
  return keys.map((key, n) => ({
    SequenceNumber: seq(shard, n),
    PartitionKey: key,
    Data: new TextEncoder().encode(`${key}:${n}`),
    ApproximateArrivalTimestamp: new Date(arrivedAt),
  }));
}

function member(scheduler: TestScheduler, id: string, store: MemoryStateStore, kinesis: FakeKinesis, extra: object = {}): Kinesumer {
  return createKinesumer({ app: 'app', clientId: id, kinesis, stateStore: store, initialPosition: 'TRIM_HORIZON', scheduler, ...extra });
}

const text = (data: Uint8Array) => new TextDecoder().decode(data);
const checkpointOf = (store: MemoryStateStore, shard: number) => store.snapshot().states['app']?.['s']?.find((s) => s.shardId === S(shard))?.sequenceNumber;

test('with concurrency, records of one key never overlap and run in order, others fill the free slots; the checkpoint stops at the lowest unfinished record', (t) => {
  const scheduler = testScheduler(t);
  const store = new MemoryStateStore();
  const runs: string[] = [];
  const checkpoints: Array<[number, string | undefined]> = [];
  const durations: Record<string, number> = { 'a:0': 30, 'b:1': 10, 'a:2': 10, 'c:3': 10, 'b:4': 10 };
  scheduler.run((helpers) => {
    const kinesis = new FakeKinesis(helpers, () => scheduler.now(), { s: openShards(1) });
    kinesis.queue('s', S(0), records(0, ['a', 'b', 'a', 'c', 'b']));
    const c = member(scheduler, 'a', store, kinesis);
    c.consume(['s'])
      .pipe(
        processRecords(
          c,
          (record) => {
            const name = text(record.data);
            runs.push(`${name} starts ${scheduler.now()}`);
            return timer(durations[name]!, scheduler).pipe(map(() => runs.push(`${name} ends ${scheduler.now()}`)));
          },
          { concurrency: 2 },
        ),
      )
      .subscribe();
    for (const at of [25, 35, 45]) {
      scheduler.schedule(() => {
        void c.commit();
        checkpoints.push([at, checkpointOf(store, 0)]);
      }, at);
    }
    scheduler.schedule(() => void c.close(), 100);
  });
  t.deepEqual(runs, [
    'a:0 starts 0',
    'b:1 starts 0',
    'b:1 ends 10',
    'c:3 starts 10', // a:2 waits for a:0; c:3 takes the free slot
    'c:3 ends 20',
    'b:4 starts 20',
    'a:0 ends 30',
    'a:2 starts 30', // only after a:0 ended
    'b:4 ends 30',
    'a:2 ends 40',
  ]);
  // 1 and 3 are done by 20, but 0 is not: nothing is marked until 30, and then only up to 1
  t.deepEqual(checkpoints, [
    [25, undefined],
    [35, seq(0, 1)],
    [45, seq(0, 4)],
  ]);
});

test('without concurrency, shards run in parallel and each strictly in order', (t) => {
  const scheduler = testScheduler(t);
  const store = new MemoryStateStore();
  const runs: string[] = [];
  scheduler.run((helpers) => {
    const kinesis = new FakeKinesis(helpers, () => scheduler.now(), { s: openShards(2) });
    kinesis.queue('s', S(0), records(0, ['x', 'y']));
    kinesis.queue('s', S(1), records(1, ['x', 'z']));
    const c = member(scheduler, 'a', store, kinesis);
    c.consume(['s'])
      .pipe(
        processRecords(c, (record) => {
          runs.push(`${record.shardId.slice(-1)}/${text(record.data)}@${scheduler.now()}`);
          return timer(10, scheduler);
        }),
      )
      .subscribe();
    scheduler.schedule(() => void c.close(), 100);
  });
  t.deepEqual(runs.sort(), ['0/x:0@0', '0/y:1@10', '1/x:0@0', '1/z:1@10']);
});

test('a handoff waits for the record in flight and checkpoints it; the next owner starts right after it and nothing later was started', (t) => {
  const scheduler = testScheduler(t);
  const store = new MemoryStateStore();
  const runs: string[] = [];
  let kinesis!: FakeKinesis;
  scheduler.run((helpers) => {
    kinesis = new FakeKinesis(helpers, () => scheduler.now(), { s: openShards(2) });
    kinesis.queue('s', S(1), records(1, ['k', 'k', 'k']));
    const handle = (who: string) => (record: { data: Uint8Array }) => {
      runs.push(`${who} ${text(record.data)}@${scheduler.now()}`);
      return timer(who === 'a' ? 10_500 : 10, scheduler);
    };
    const a = member(scheduler, 'a', store, kinesis);
    const b = member(scheduler, 'b', store, kinesis);
    a.consume(['s']).pipe(processRecords(a, handle('a'))).subscribe();
    // b joins at 7000; a gives shard 1 up at its sync at 10000, while k:0 runs until 10500
    scheduler.schedule(() => b.consume(['s']).pipe(processRecords(b, handle('b'))).subscribe(), 7000);
    // what Kinesis serves b, which reads after k:0 (the fake serves pages, not positions)
    scheduler.schedule(() => kinesis.queue('s', S(1), records(1, ['k', 'k', 'k']).slice(1)), 10_600);
    scheduler.schedule(() => void a.close(), 30_000);
    scheduler.schedule(() => void b.close(), 30_000);
    // a's reader of shard 1 stops at 10000; the release waits for k:0 (10500), then b takes the
    // shard at its next try (11000) and reads after k:0
    helpers.expectSubscriptions(kinesis.iterator('s', S(1)).subscriptions).toBe(['^ 9999ms !', '11000ms ^ 18999ms !']);
  });
  t.deepEqual(runs, ['a k:0@0', 'b k:1@11000', 'b k:2@11010']);
  const bStart = kinesis.calls.filter((c) => c.op === 'getShardIterator' && c.shardId === S(1)).map((c) => c.position);
  t.deepEqual(bStart.at(-1), { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: seq(1, 0) });
  t.is(checkpointOf(store, 1), seq(1, 2));
});

test('a failing record is retried on the backoff frames, then dead-lettered; records of other keys are not held back', (t) => {
  const scheduler = testScheduler(t);
  const store = new MemoryStateStore();
  const calls: string[] = [];
  const sunk: Array<[string, number, number, string]> = [];
  const errors: KinesumerError[] = [];
  const events: KinesumerEvent[] = [];
  scheduler.run((helpers) => {
    const kinesis = new FakeKinesis(helpers, () => scheduler.now(), { s: openShards(1) });
    kinesis.queue('s', S(0), records(0, ['bad', 'good', 'bad', 'good']));
    // backoff 50, 100, 200, ...: with random() = 0, exactly half of 100 * 2^(n-1)
    const c = member(scheduler, 'a', store, kinesis, { retry: { initialDelay: 100, maxDelay: 1000, random: () => 0 } });
    c.errors$.subscribe((e) => errors.push(e));
    c.events$.subscribe((e) => events.push(e));
    c.consume(['s'])
      .pipe(
        processRecords(
          c,
          (record) => {
            const name = text(record.data);
            calls.push(`${name}@${scheduler.now()}`);
            return record.partitionKey === 'bad' ? throwError(() => new Error(`cannot handle ${name}`)) : of(name);
          },
          {
            concurrency: 4,
            retry: { attempts: 3 },
            deadLetter: ({ record, attempts, error }: ProcessingFailure) => {
              sunk.push([text(record.data), attempts, scheduler.now(), (error as Error).message]);
              return timer(5, scheduler);
            },
          },
        ),
      )
      .subscribe();
    scheduler.schedule(() => void c.commit(), 1000);
    scheduler.schedule(() => void c.close(), 2000);
  });
  // bad:0 at 0, 50, 150; bad:2 waits for bad:0 (one key, in order), then the same
  t.deepEqual(calls, ['bad:0@0', 'good:1@0', 'good:3@0', 'bad:0@50', 'bad:0@150', 'bad:2@155', 'bad:2@205', 'bad:2@305']);
  t.deepEqual(sunk, [
    ['bad:0', 3, 150, 'cannot handle bad:0'],
    ['bad:2', 3, 305, 'cannot handle bad:2'],
  ]);
  const failures = errors.filter((e) => e.code === 'PROCESSING_FAILED');
  t.is(failures.length, 6);
  t.deepEqual(failures.map((e) => e.retriable), [true, true, false, true, true, false]);
  t.false(failures.some((e) => e.message.includes('cannot handle') === false));
  t.is(events.filter((e) => e.type === 'recordDeadLettered').length, 2);
  t.is(checkpointOf(store, 0), seq(0, 3), 'dead-lettered records count as processed');
});

test('records older than maxRecordAge go to the dead-letter sink without running the handler', (t) => {
  const scheduler = testScheduler(t);
  const store = new MemoryStateStore();
  const handled: string[] = [];
  const sunk: string[] = [];
  const codes: string[] = [];
  scheduler.run((helpers) => {
    const kinesis = new FakeKinesis(helpers, () => scheduler.now(), { s: openShards(1) });
    kinesis.queue('s', S(0), [...records(0, ['old'], -60_000), ...records(0, ['new'], 0).map((r) => ({ ...r, SequenceNumber: seq(0, 1) }))]);
    const c = member(scheduler, 'a', store, kinesis);
    c.errors$.subscribe((e) => codes.push(e.code));
    c.consume(['s'])
      .pipe(
        processRecords(c, (record) => void handled.push(text(record.data)), {
          maxRecordAge: 30_000,
          deadLetter: ({ record, attempts }) => void sunk.push(`${text(record.data)} after ${attempts}`),
        }),
      )
      .subscribe();
    scheduler.schedule(() => void c.close(), 1000);
  });
  t.deepEqual(handled, ['new:0']);
  t.deepEqual(sunk, ['old:0 after 0']);
  t.true(codes.includes('RECORD_TOO_OLD'));
});

test('a record that fails every attempt without a sink fails the pipeline: reported, and the member commits and leaves', (t) => {
  const scheduler = testScheduler(t);
  const store = new MemoryStateStore();
  const codes: string[] = [];
  const events: string[] = [];
  let failed: unknown;
  scheduler.run((helpers) => {
    const kinesis = new FakeKinesis(helpers, () => scheduler.now(), { s: openShards(1) });
    kinesis.queue('s', S(0), records(0, ['ok', 'poison']));
    const c = member(scheduler, 'a', store, kinesis, { retry: { initialDelay: 100, maxDelay: 1000, random: () => 0 } });
    c.errors$.subscribe((e) => codes.push(e.code));
    c.events$.subscribe((e) => events.push(e.type));
    c.consume(['s'])
      .pipe(processRecords(c, (record) => (record.partitionKey === 'poison' ? throwError(() => new Error('poison')) : record), { retry: { attempts: 2 } }))
      .subscribe({ error: (err: unknown) => (failed = err) });
  });
  t.is((failed as KinesumerError).code, 'PROCESSING_FAILED');
  t.deepEqual(codes.filter((c) => c !== 'STATE_STORE_FAILED'), ['PROCESSING_FAILED', 'PROCESSING_FAILED', 'PIPELINE_FAILED']);
  t.true(events.includes('pipelineFailed'));
  t.is(checkpointOf(store, 0), seq(0, 0), 'what was processed is committed');
  t.deepEqual(Object.keys(store.snapshot().clients['app'] ?? {}), [], 'the member left the group');
});

test('a record retried for a long time holds its shard at polling.maxInFlight: the reader waits instead of reading on', (t) => {
  const scheduler = testScheduler(t);
  const store = new MemoryStateStore();
  let getRecords = 0;
  let handled = 0;
  scheduler.run((helpers) => {
    const kinesis = new FakeKinesis(helpers, () => scheduler.now(), { s: openShards(1) });
    for (let page = 0; page < 10; page++) {
      kinesis.queue('s', S(0), records(0, ['stuck', 'a', 'b', 'c']).map((r, i) => ({ ...r, SequenceNumber: seq(0, page * 4 + i) })), { millisBehindLatest: 1 });
    }
    const c = member(scheduler, 'a', store, kinesis, { polling: { maxInFlight: 8, scanLimit: 4 }, retry: { initialDelay: 100, maxDelay: 1000, random: () => 0 } });
    c.consume(['s'])
      .pipe(
        processRecords(
          c,
          (record) => {
            handled += 1;
            return record.sequenceNumber === seq(0, 0) ? throwError(() => new Error('down')) : of(record);
          },
          { concurrency: 8 },
        ),
      )
      .subscribe();
    scheduler.schedule(() => (getRecords = kinesis.calls.filter((call) => call.op === 'getRecords').length), 60_000);
    scheduler.schedule(() => void c.close(), 60_001);
  });
  // the first record fails for a minute: 8 records are delivered and held, no more are read
  t.is(getRecords, 2);
  t.true(handled > 8);
});
