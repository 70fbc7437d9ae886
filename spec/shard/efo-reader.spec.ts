/**
 * Marble tests of the enhanced fan-out reader on virtual time: where each subscription starts,
 * resubscribing after Kinesis ends a subscription or after a failure, the 5-second rule,
 * throttling backoff, shard end, the ready$ backpressure hook, the event watchdog, the end check
 * of closed shards (kinesis-local sends no ChildShards) and teardown.
 *
 * The SubscribeToShard event stream sits behind the seam as an Observable, so each subscription
 * is a cold marble (`scriptedEfo` in the helpers): its events, then `|` (Kinesis ended it) or `#`
 * (it failed). Records are delivered as their partition keys, one letter each.
 */
import test from 'ava';
import { InternalFailureException, LimitExceededException, ResourceInUseException } from '@aws-sdk/client-kinesis';
import { BehaviorSubject, concatAll, defer, of, tap, type Observable } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import type { KinesumerError } from '../../src/errors.js';
import type { ShardEvent, StartPosition } from '../../src/kinesis/kinesis-api.js';
import { toEfoError } from '../../src/kinesis/kinesis-errors.js';
import { MIN_RETRY_INTERVAL, efoReader, type EfoReaderOptions } from '../../src/shard/efo-reader.js';
import { scriptedEfo, shardEvent as ev, type SubscribeCall } from '../helpers/fake-kinesis.js';
import { testScheduler } from '../helpers/marbles.js';

const STREAM = 's';
const SHARD = 'shardId-000000000000';

interface Reported {
  at: number;
  code: string;
}

/** A reader of the scripted seam, delivering partition keys, with exact backoff (random = 1). */
function reader(
  scheduler: TestScheduler,
  kinesis: EfoReaderOptions<string>['kinesis'],
  overrides: Partial<EfoReaderOptions<string>> = {},
): { records$: Observable<string>; reported: Reported[] } {
  const reported: Reported[] = [];
  const records$ = efoReader<string>({
    stream: STREAM,
    shardId: SHARD,
    start: { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: 'seq-0' },
    consumerArn$: of('arn:consumer'),
    kinesis,
    scheduler,
    // backoff for retry n = min(maxDelay, initialDelay * 2^(n-1)) exactly: 100, 200, 300, 300, ...
    retry: { initialDelay: 100, maxDelay: 300, random: () => 1 },
    report: (err: KinesumerError) => reported.push({ at: scheduler.now(), code: err.code }),
    toRecords: (records) => records.map((r) => r.PartitionKey ?? '?'),
    ...overrides,
  }).pipe(concatAll()); // the reader emits one array per event
  return { records$, reported };
}

const after = (key: string): StartPosition => ({ type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: `seq-${key}` });
const starts = (subscribes: SubscribeCall[]) => subscribes.map((s) => [s.at, s.position]);
/** The shortest time between two subscribes (Infinity for fewer than two). */
const minGap = (subscribes: SubscribeCall[]) =>
  Math.min(Number.POSITIVE_INFINITY, ...subscribes.slice(1).map((s, i) => s.at - subscribes[i]!.at));

const failure = (cause: unknown) => toEfoError(cause, 'SubscribeToShard', STREAM, SHARD);
const internal = () => failure(new InternalFailureException({ message: 'boom', $metadata: { httpStatusCode: 500 } }));
const inUse = () => failure(new ResourceInUseException({ message: 'Another active subscription exists', $metadata: {} }));
const throttled = () => failure(new LimitExceededException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }));

test('starts after the checkpoint, delivers every event in order, and replaces a subscription Kinesis ended from its last continuation, 5 s after the previous subscribe', (t) => {
  const scheduler = testScheduler(t);
  let script: ReturnType<typeof scriptedEfo> | undefined;
  scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
    const first = cold<ShardEvent>('-a 999ms b 999ms |', { a: ev('ab'), b: ev('c') });
    const second = cold<ShardEvent>('a', { a: ev('d') });
    script = scriptedEfo(() => scheduler.now(), [first, second]);
    const { records$ } = reader(scheduler, script.kinesis);
    expectObservable(records$, '^ 5999ms !').toBe('-(ab) 996ms c 3998ms d');
    expectSubscriptions(first.subscriptions).toBe('^ 2000ms !');
    expectSubscriptions(second.subscriptions).toBe('5000ms ^ 999ms !');
  });
  t.deepEqual(starts(script!.subscribes), [
    [0, after('0')],
    [5000, after('c')],
  ]);
  t.deepEqual(
    script!.subscribes.map((s) => [s.stream, s.shardId, s.consumerArn]),
    [
      [STREAM, SHARD, 'arn:consumer'],
      [STREAM, SHARD, 'arn:consumer'],
    ],
  );
});

test('a subscription that lasted its 5 minutes is replaced at once, from its continuation (not from the last record)', (t) => {
  const scheduler = testScheduler(t);
  let script: ReturnType<typeof scriptedEfo> | undefined;
  scheduler.run(({ cold, expectObservable }) => {
    script = scriptedEfo(
      () => scheduler.now(),
      [
        // an idle shard gets empty events, and they still move the continuation on
        cold('a 59999ms b 59999ms b 59999ms b 59999ms b 59999ms |', { a: ev('a'), b: ev('', { continuation: 'seq-a2' }) }),
        cold('b', { b: ev('b') }),
      ],
    );
    const { records$, reported } = reader(scheduler, script.kinesis, { eventTimeout: 90_000 });
    expectObservable(records$, '^ 300999ms !').toBe('a 299999ms b');
    scheduler.schedule(() => t.deepEqual(reported, []), 300_500);
  });
  t.deepEqual(starts(script!.subscribes), [
    [0, after('0')],
    [300_000, after('a2')],
  ]);
});

test('a failed subscription is reported and replaced from its last continuation, after the backoff, 5 s after the previous accepted subscribe and 1 s after the previous call, whichever is latest', (t) => {
  const scheduler = testScheduler(t);
  let script: ReturnType<typeof scriptedEfo> | undefined;
  let reported: Reported[] = [];
  scheduler.run(({ cold, expectObservable }) => {
    script = scriptedEfo(
      () => scheduler.now(),
      [
        cold('a 5999ms #', { a: ev('a') }, internal()), //  0: fails at 6000, backoff 100 → 6100 (> 0 + 5000)
        cold('#', undefined, internal()), //                 6100: refused (no event): backoff 100, but 6100 + 1000 → 7100
        cold('b', { b: ev('b') }), //                        7100
      ],
    );
    const run = reader(scheduler, script.kinesis);
    reported = run.reported;
    expectObservable(run.records$, '^ 11999ms !').toBe('a 7099ms b');
  });
  t.deepEqual(starts(script!.subscribes), [
    [0, after('0')],
    [6100, after('a')],
    [7100, after('a')],
  ]);
  t.deepEqual(reported, [
    { at: 6000, code: 'KINESIS_FAILED' },
    { at: 6100, code: 'KINESIS_FAILED' },
  ]);
  t.true(minGap(script!.subscribes) >= MIN_RETRY_INTERVAL);
});

test('ResourceInUseException (the previous subscription is still open somewhere) is reported and retried a second later: a refused call does not start the 5-second rule', (t) => {
  const scheduler = testScheduler(t);
  let script: ReturnType<typeof scriptedEfo> | undefined;
  let reported: Reported[] = [];
  scheduler.run(({ cold, expectObservable }) => {
    script = scriptedEfo(() => scheduler.now(), [cold('#', undefined, inUse()), cold('#', undefined, inUse()), cold('a', { a: ev('a') })]);
    const run = reader(scheduler, script.kinesis);
    reported = run.reported;
    expectObservable(run.records$, '^ 10999ms !').toBe('2000ms a');
  });
  t.deepEqual(
    script!.subscribes.map((s) => s.at),
    [0, 1000, 2000],
  );
  t.deepEqual(reported, [
    { at: 0, code: 'KINESIS_RESOURCE_IN_USE' },
    { at: 1000, code: 'KINESIS_RESOURCE_IN_USE' },
  ]);
});

test('throttling (LimitExceededException) backs off exponentially, never less than a second between calls', (t) => {
  const scheduler = testScheduler(t);
  let script: ReturnType<typeof scriptedEfo> | undefined;
  let reported: Reported[] = [];
  scheduler.run(({ cold, expectObservable }) => {
    script = scriptedEfo(
      () => scheduler.now(),
      [
        cold('#', undefined, throttled()), //   0: backoff 3000 (more than the 1-second rule)
        cold('#', undefined, throttled()), //   3000: backoff 6000 → 9000
        cold('#', undefined, throttled()), //   9000: backoff 12000 → 21000
        cold('a', { a: ev('a') }), //           21000
      ],
    );
    const run = reader(scheduler, script.kinesis, { retry: { initialDelay: 3000, maxDelay: 20_000, random: () => 1 } });
    reported = run.reported;
    expectObservable(run.records$, '^ 23999ms !').toBe('21000ms a');
  });
  t.deepEqual(
    script!.subscribes.map((s) => s.at),
    [0, 3000, 9000, 21_000],
  );
  t.deepEqual(
    reported.map((r) => `${r.code}@${r.at}`),
    ['KINESIS_THROTTLED@0', 'KINESIS_THROTTLED@3000', 'KINESIS_THROTTLED@9000'],
  );
});

test('shard end: the last event (ChildShards, no continuation) delivers its records, then the reader completes and closes the subscription', (t) => {
  const scheduler = testScheduler(t);
  let script: ReturnType<typeof scriptedEfo> | undefined;
  scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
    const only = cold('a 999ms b 999ms c 999ms d', { a: ev('ab'), b: ev('c'), c: ev('de', { end: true }), d: ev('x') });
    script = scriptedEfo(() => scheduler.now(), [only]);
    const { records$ } = reader(scheduler, script.kinesis);
    expectObservable(records$, '^ 9999ms !').toBe('(ab) 996ms c 999ms (de|)');
    expectSubscriptions(only.subscriptions).toBe('^ 1999ms !');
  });
  t.is(script!.subscribes.length, 1);
});

test('shard end on an empty last event completes the reader', (t) => {
  const scheduler = testScheduler(t);
  scheduler.run(({ cold, expectObservable }) => {
    const script = scriptedEfo(() => scheduler.now(), [cold('a 499ms b', { a: ev('a'), b: ev('', { end: true }) })]);
    const { records$ } = reader(scheduler, script.kinesis);
    expectObservable(records$, '^ 9999ms !').toBe('a 499ms |');
  });
});

test('LATEST: a subscription that failed before any event is replaced AT_TIMESTAMP of the first subscribe, so nothing that arrived meanwhile is skipped', (t) => {
  const scheduler = testScheduler(t);
  let script: ReturnType<typeof scriptedEfo> | undefined;
  scheduler.run(({ cold, expectObservable }) => {
    script = scriptedEfo(
      () => scheduler.now(),
      [cold('1000ms #', undefined, internal()), cold('500ms a', { a: ev('a') }), cold('a', { a: ev('b') })],
    );
    const { records$ } = reader(scheduler, script.kinesis, { start: { type: 'LATEST' } });
    expectObservable(records$, '^ 5999ms !').toBe('1600ms a');
  });
  // (it failed at 1000 without an event, so no 5-second rule: the backoff's 100 ms)
  t.deepEqual(starts(script!.subscribes), [
    [0, { type: 'LATEST' }],
    [1100, { type: 'AT_TIMESTAMP', timestamp: new Date(0) }],
  ]);
});

test('unsubscribing aborts the subscription at that frame, and a reader waiting out the 5-second rule never subscribes again', (t) => {
  const scheduler = testScheduler(t);
  let script: ReturnType<typeof scriptedEfo> | undefined;
  scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
    const live = cold('a 999ms b', { a: ev('a'), b: ev('b') });
    script = scriptedEfo(() => scheduler.now(), [live]);
    const first = reader(scheduler, script.kinesis);
    expectObservable(first.records$, '^ 1500ms !').toBe('a 999ms b');
    expectSubscriptions(live.subscriptions).toBe('^ 1500ms !');
  });
  t.is(script!.subscribes.length, 1);

  const scheduler2 = testScheduler(t);
  let script2: ReturnType<typeof scriptedEfo> | undefined;
  scheduler2.run(({ cold, expectObservable }) => {
    script2 = scriptedEfo(() => scheduler2.now(), [cold('a 999ms |', { a: ev('a') })]);
    // the subscription ends at 1000; the next may start at 5000, but the reader leaves at 3000
    expectObservable(reader(scheduler2, script2.kinesis).records$, '^ 3000ms !').toBe('a');
  });
  t.is(script2!.subscribes.length, 1);
});

test('the 5-second rule holds across readers of the same shard that share the subscribe clock', (t) => {
  const scheduler = testScheduler(t);
  let script: ReturnType<typeof scriptedEfo> | undefined;
  scheduler.run(({ cold, expectObservable }) => {
    const subscribedAt = new Map<string, number>();
    script = scriptedEfo(() => scheduler.now(), [cold('a', { a: ev('a') }), cold('b', { b: ev('b') })]);
    // the shard moves away at 1000 and comes back at 2000: the new reader waits until 5000
    expectObservable(reader(scheduler, script.kinesis, { subscribedAt }).records$, '^ 1000ms !').toBe('a');
    expectObservable(reader(scheduler, script.kinesis, { subscribedAt }).records$, '2000ms ^ 3999ms !').toBe('5000ms b');
  });
  t.deepEqual(
    script!.subscribes.map((s) => s.at),
    [0, 5000],
  );
});

test('backpressure: the next event is read only after the previous one was delivered and ready$ says true; time waiting on ready$ is not an event timeout', (t) => {
  const scheduler = testScheduler(t);
  let script: ReturnType<typeof scriptedEfo> | undefined;
  let reported: Reported[] = [];
  scheduler.run(({ cold, expectObservable }) => {
    const ready = new BehaviorSubject(true);
    // all three events are in the connection by 200
    script = scriptedEfo(() => scheduler.now(), [cold('a 99ms b 99ms c', { a: ev('a'), b: ev('b'), c: ev('c') }), cold('d', { d: ev('d') })]);
    const run = reader(scheduler, script.kinesis, { ready$: ready, eventTimeout: 1000 });
    reported = run.reported;
    const records$ = run.records$.pipe(
      tap((key) => {
        if (key !== 'a') return;
        // the pipeline is full after a; room again at 1500
        ready.next(false);
        scheduler.schedule(() => ready.next(true), 1500);
      }),
    );
    // after c nothing more comes: the watchdog fires at 2500, the next subscribe is at 5000
    expectObservable(records$, '^ 5999ms !').toBe('a 1499ms (bc) 3496ms d');
  });
  // one ask at 0, then none until ready$ said true at 1500 (for b, for c, and the one after c)
  t.deepEqual(script!.demands.slice(0, 4), [0, 1500, 1500, 1500]);
  t.deepEqual(reported, [{ at: 2500, code: 'EFO_EVENT_TIMEOUT' }]);
  t.deepEqual(starts(script!.subscribes), [
    [0, after('0')],
    [5000, after('c')],
  ]);
});

test('readyNow: asked before each event; while it says yes ready$ is not subscribed to, and once it says no the next event waits for ready$', (t) => {
  const scheduler = testScheduler(t);
  let script: ReturnType<typeof scriptedEfo> | undefined;
  let subscriptions = 0;
  scheduler.run(({ cold, hot, expectObservable }) => {
    let open = true;
    // ready$ says true only at 1500
    const opens$ = hot('1500ms t', { t: true });
    const ready$ = defer(() => {
      subscriptions += 1;
      return opens$;
    });
    script = scriptedEfo(() => scheduler.now(), [cold('a 99ms b 99ms c', { a: ev('a'), b: ev('b'), c: ev('c') })]);
    const run = reader(scheduler, script.kinesis, { ready$, readyNow: () => open, eventTimeout: 10_000 });
    // the gate shuts after a
    const records$ = run.records$.pipe(tap((key) => (open = key !== 'a' && open)));
    expectObservable(records$, '^ 1999ms !').toBe('a 1499ms b');
  });
  // a was asked for at once; b waited for ready$ until 1500; c waits for it again
  t.deepEqual(script!.demands.slice(0, 2), [0, 1500]);
  t.is(subscriptions, 2, 'ready$ is subscribed to only for the events readyNow held back');
});

test('a subscription that never brings its first event is given up after eventTimeout and replaced', (t) => {
  const scheduler = testScheduler(t);
  let script: ReturnType<typeof scriptedEfo> | undefined;
  let reported: Reported[] = [];
  scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
    const silent = cold<ShardEvent>('-');
    script = scriptedEfo(() => scheduler.now(), [silent, cold('a', { a: ev('a') })]);
    const run = reader(scheduler, script.kinesis, { eventTimeout: 8000 });
    reported = run.reported;
    expectObservable(run.records$, '^ 8999ms !').toBe('8100ms a');
    expectSubscriptions(silent.subscriptions).toBe('^ 7999ms !');
  });
  t.deepEqual(reported, [{ at: 8000, code: 'EFO_EVENT_TIMEOUT' }]);
  t.deepEqual(
    script!.subscribes.map((s) => s.at),
    [0, 8100],
  );
});

test('a closed shard without ChildShards (kinesis-local): an empty event at the tip makes the reader check with GetRecords, from after the last record; no next iterator ends it', (t) => {
  const scheduler = testScheduler(t);
  let script: ReturnType<typeof scriptedEfo> | undefined;
  scheduler.run(({ cold, expectObservable }) => {
    const events = cold('a 499ms b 199ms c 299ms d', {
      a: ev('xy'),
      b: ev('', { continuation: 'seq-y' }),
      c: ev('', { continuation: 'seq-y' }),
      d: ev('', { continuation: 'seq-y' }),
    });
    script = scriptedEfo(
      () => scheduler.now(),
      [events],
      [
        { records: ev('z').records, nextShardIterator: 'more', millisBehindLatest: 0 }, // 500: not the end yet
        { records: [], nextShardIterator: undefined, millisBehindLatest: 0 }, //          1000: the end
      ],
    );
    let closed = false;
    scheduler.schedule(() => (closed = true), 400);
    const { records$ } = reader(scheduler, script.kinesis, { isClosed: () => closed });
    expectObservable(records$, '^ 9999ms !').toBe('(xy) 996ms |');
  });
  // the event at 700 is within END_CHECK_INTERVAL of the check at 500: no call for it
  t.deepEqual(
    script!.calls.map((c) => `${c.op}@${c.at}`),
    ['getShardIterator@500', 'getRecords@500', 'getShardIterator@1000', 'getRecords@1000'],
  );
  t.deepEqual(script!.calls[0]?.position, after('y'));
});

test('an open shard is never checked for its end', (t) => {
  const scheduler = testScheduler(t);
  let script: ReturnType<typeof scriptedEfo> | undefined;
  scheduler.run(({ cold, expectObservable }) => {
    script = scriptedEfo(() => scheduler.now(), [cold('a 999ms b 999ms c', { a: ev('a'), b: ev('', { continuation: 'seq-a' }), c: ev('') })]);
    const { records$ } = reader(scheduler, script.kinesis, { isClosed: () => false });
    expectObservable(records$, '^ 2999ms !').toBe('a');
  });
  t.deepEqual(script!.calls, []);
});

test('the consumer ARN is asked for before every subscribe, so a consumer registered again is used', (t) => {
  const scheduler = testScheduler(t);
  let script: ReturnType<typeof scriptedEfo> | undefined;
  scheduler.run(({ cold, expectObservable }) => {
    let n = 0;
    script = scriptedEfo(() => scheduler.now(), [cold('#', undefined, internal()), cold('a', { a: ev('a') })]);
    const consumerArn$ = defer(() => of(`arn-${++n}`));
    expectObservable(reader(scheduler, script.kinesis, { consumerArn$ }).records$, '^ 5999ms !').toBe('1000ms a');
  });
  t.deepEqual(
    script!.subscribes.map((s) => s.consumerArn),
    ['arn-1', 'arn-2'],
  );
});
