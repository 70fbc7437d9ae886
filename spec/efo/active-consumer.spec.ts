/**
 * Marble tests of registration: the leader registers the stream's consumer (or reuses the one that
 * exists), every client polls DescribeStreamConsumer with backoff until it is ACTIVE, clients that
 * do not lead never register, and failures are reported and retried.
 *
 * The seam is scripted: the n-th RegisterStreamConsumer and DescribeStreamConsumer calls answer
 * with the n-th Observable of their scripts, and every call is logged with `scheduler.now()`.
 */
import test from 'ava';
import { LimitExceededException } from '@aws-sdk/client-kinesis';
import { EMPTY, defer, of, throwError, type Observable } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { MAX_ACTIVE_POLL_DELAY, activeConsumer, type ActiveConsumerOptions } from '../../src/efo/active-consumer.js';
import type { KinesumerError } from '../../src/errors.js';
import type { EfoKinesisApi, StreamConsumer } from '../../src/kinesis/kinesis-api.js';
import { toKinesisError } from '../../src/kinesis/kinesis-errors.js';
import { testScheduler } from '../helpers/marbles.js';

const STREAM = 'orders';
const ARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/orders';

const consumer = (status: string): StreamConsumer => ({ consumerName: 'app', consumerArn: `${ARN}/consumer/app:1`, status });
const creating = consumer('CREATING');
const active = consumer('ACTIVE');
const deleting = consumer('DELETING');

function scripted(
  scheduler: TestScheduler,
  register: Array<Observable<StreamConsumer | undefined>>,
  describe: Array<Observable<StreamConsumer | undefined>>,
) {
  const calls: string[] = [];
  const answer = <T>(op: string, script: Array<Observable<T>>, n: () => number) =>
    defer(() => {
      calls.push(`${op}@${scheduler.now()}`);
      return script[n()] ?? throwError(() => new Error(`${op} not scripted`));
    });
  let registers = 0;
  let describes = 0;
  const kinesis: EfoKinesisApi = {
    describeStreamSummary: () => EMPTY,
    registerStreamConsumer: (stream, streamArn, name) => {
      if (stream !== STREAM || streamArn !== ARN || name !== 'app') throw new Error('wrong arguments');
      return answer('register', register, () => registers++);
    },
    describeStreamConsumer: (stream, streamArn, name) => {
      if (stream !== STREAM || streamArn !== ARN || name !== 'app') throw new Error('wrong arguments');
      return answer('describe', describe, () => describes++);
    },
    deregisterStreamConsumer: () => EMPTY,
    subscribeToShard: () => EMPTY,
  };
  return { kinesis, calls };
}

function options(scheduler: TestScheduler, kinesis: EfoKinesisApi, overrides: Partial<ActiveConsumerOptions> = {}) {
  const reported: string[] = [];
  const opts: ActiveConsumerOptions = {
    stream: STREAM,
    streamArn$: of(ARN),
    consumerName: 'app',
    kinesis,
    scheduler,
    // poll delays 100, 200, 400, ... exactly
    retry: { initialDelay: 100, maxDelay: 30_000, random: () => 1 },
    isLeader: () => true,
    report: (err: KinesumerError) => reported.push(`${err.code}@${scheduler.now()}`),
    ...overrides,
  };
  return { opts, reported };
}

test('the leader registers the consumer, then polls DescribeStreamConsumer with backoff until it is ACTIVE', (t) => {
  const scheduler = testScheduler(t);
  let calls: string[] = [];
  scheduler.run(({ cold, expectObservable }) => {
    const script = scripted(scheduler, [cold('20ms (c|)', { c: creating })], [of(creating), of(active)]);
    calls = script.calls;
    const { opts } = options(scheduler, script.kinesis);
    // registered at 20 (CREATING); describe at 120 (CREATING), at 320 (ACTIVE)
    expectObservable(activeConsumer(opts)).toBe('320ms (a|)', { a: active });
  });
  t.deepEqual(calls, ['register@0', 'describe@120', 'describe@320']);
});

test('the leader reuses a consumer that exists already (ResourceInUseException)', (t) => {
  const scheduler = testScheduler(t);
  let calls: string[] = [];
  scheduler.run(({ expectObservable }) => {
    const script = scripted(scheduler, [of(undefined)], [of(active)]);
    calls = script.calls;
    expectObservable(activeConsumer(options(scheduler, script.kinesis).opts)).toBe('(a|)', { a: active });
  });
  t.deepEqual(calls, ['register@0', 'describe@0']);
});

test('a client that does not lead never registers: it waits for the leader to, then for ACTIVE', (t) => {
  const scheduler = testScheduler(t);
  let calls: string[] = [];
  scheduler.run(({ expectObservable }) => {
    const script = scripted(scheduler, [], [of(undefined), of(undefined), of(creating), of(active)]);
    calls = script.calls;
    const { opts } = options(scheduler, script.kinesis, { isLeader: () => false });
    expectObservable(activeConsumer(opts)).toBe('700ms (a|)', { a: active });
  });
  t.deepEqual(calls, ['describe@0', 'describe@100', 'describe@300', 'describe@700']);
});

test('a client that becomes the leader while it waits registers the consumer itself', (t) => {
  const scheduler = testScheduler(t);
  let calls: string[] = [];
  scheduler.run(({ expectObservable }) => {
    let leader = false;
    scheduler.schedule(() => (leader = true), 250); // the old leader left
    const script = scripted(scheduler, [of(creating)], [of(undefined), of(undefined), of(active)]);
    calls = script.calls;
    const { opts } = options(scheduler, script.kinesis, { isLeader: () => leader });
    expectObservable(activeConsumer(opts)).toBe('700ms (a|)', { a: active });
  });
  t.deepEqual(calls, ['describe@0', 'describe@100', 'register@300', 'describe@700']);
});

test('a client that does not lead registers the consumer itself after registerAfter (the leader may poll, not use EFO)', (t) => {
  const scheduler = testScheduler(t);
  let calls: string[] = [];
  scheduler.run(({ expectObservable }) => {
    const script = scripted(scheduler, [of(creating)], [of(undefined), of(undefined), of(undefined), of(undefined), of(active)]);
    calls = script.calls;
    const { opts } = options(scheduler, script.kinesis, { isLeader: () => false, registerAfter: 1000 });
    // describes at 0, 100, 300, 700; at 1500 it has waited 1000 ms: it registers, then waits for ACTIVE
    expectObservable(activeConsumer(opts)).toBe('3100ms (a|)', { a: active });
  });
  t.deepEqual(calls, ['describe@0', 'describe@100', 'describe@300', 'describe@700', 'register@1500', 'describe@3100']);
});

test('a consumer being deleted is waited out and registered again', (t) => {
  const scheduler = testScheduler(t);
  let calls: string[] = [];
  scheduler.run(({ expectObservable }) => {
    const script = scripted(scheduler, [of(undefined), of(creating)], [of(deleting), of(active)]);
    calls = script.calls;
    expectObservable(activeConsumer(options(scheduler, script.kinesis).opts)).toBe('300ms (a|)', { a: active });
  });
  t.deepEqual(calls, ['register@0', 'describe@0', 'register@100', 'describe@300']);
});

test('failures (throttling included) are reported and retried with the retry policy', (t) => {
  const scheduler = testScheduler(t);
  let calls: string[] = [];
  let reported: string[] = [];
  scheduler.run(({ expectObservable }) => {
    const throttled = toKinesisError(new LimitExceededException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }), 'DescribeStreamConsumer', STREAM);
    const script = scripted(scheduler, [of(creating)], [throwError(() => throttled), of(active)]);
    calls = script.calls;
    const run = options(scheduler, script.kinesis, { retry: { initialDelay: 100, maxDelay: 30_000, random: () => 1 } });
    reported = run.reported;
    // register at 0 (CREATING) → describe at 100 fails → retry 2: 200 → describe at 300
    expectObservable(activeConsumer(run.opts)).toBe('300ms (a|)', { a: active });
  });
  t.deepEqual(calls, ['register@0', 'describe@100', 'describe@300']);
  t.deepEqual(reported, ['KINESIS_THROTTLED@100']);
});

test('waiting for ACTIVE polls at most MAX_ACTIVE_POLL_DELAY apart, whatever retry.maxDelay is', (t) => {
  const scheduler = testScheduler(t);
  let calls: string[] = [];
  scheduler.run(({ expectObservable }) => {
    const describes = [...Array.from({ length: 9 }, () => of(creating)), of(active)];
    const script = scripted(scheduler, [of(creating)], describes);
    calls = script.calls;
    const { opts } = options(scheduler, script.kinesis, { retry: { initialDelay: 100, maxDelay: 60_000, random: () => 1 } });
    expectObservable(activeConsumer(opts)).toBe('26300ms (a|)', { a: active });
  });
  const times = calls.map((c) => Number(c.split('@')[1]));
  const gaps = times.slice(1).map((at, i) => at - times[i]!);
  t.deepEqual(gaps, [100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000, 5000]);
  t.true(gaps.every((gap) => gap <= MAX_ACTIVE_POLL_DELAY));
});

test('a failed stream ARN lookup is reported and retried', (t) => {
  const scheduler = testScheduler(t);
  let reported: string[] = [];
  scheduler.run(({ cold, expectObservable }) => {
    const script = scripted(scheduler, [of(active)], []);
    let lookups = 0;
    const streamArn$ = defer(() =>
      lookups++ === 0 ? cold<string>('5ms #', undefined, toKinesisError(new Error('socket hang up'), 'DescribeStreamSummary', STREAM)) : of(ARN),
    );
    const run = options(scheduler, script.kinesis, { streamArn$ });
    reported = run.reported;
    expectObservable(activeConsumer(run.opts)).toBe('105ms (a|)', { a: active });
  });
  t.deepEqual(reported, ['KINESIS_FAILED@5']);
});
