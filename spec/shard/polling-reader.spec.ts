/**
 * Marble tests of the polling reader on virtual time: call pacing, shard end, expired iterators,
 * throttling backoff, other failures, scanTimeout, the ready$ backpressure hook and unsubscribing.
 * The Kinesis seam is a scripted double: the n-th GetRecords call answers with the n-th Observable
 * of the script (cold marbles, so an answer can take time), and every call is logged with
 * `scheduler.now()`. Records are delivered as their partition keys, one letter each, so the
 * expected marbles read as the records themselves.
 */
import test from 'ava';
import {
  AccessDeniedException,
  ExpiredIteratorException,
  InternalFailureException,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-kinesis';
import type { _Record } from '@aws-sdk/client-kinesis';
import { EMPTY, concatAll, defer, of, shareReplay, throwError, type Observable } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import type { KinesumerError } from '../../src/errors.js';
import { watchAnswers } from '../../src/kinesis/kinesis-answers.js';
import type { KinesisApi, RecordsPage, StartPosition } from '../../src/kinesis/kinesis-api.js';
import { toKinesisError } from '../../src/kinesis/kinesis-errors.js';
import { MIN_CALL_INTERVAL, pollingReader, type PollingReaderOptions } from '../../src/shard/polling-reader.js';
import { testScheduler } from '../helpers/marbles.js';

const STREAM = 's';
const SHARD = 'shardId-000000000000';
/** Kinesis allows 5 GetRecords calls per second per shard. */
const KINESIS_MAX_CALLS_PER_SECOND = 5;

/** A record whose partition key is `key` and whose sequence number names it. */
function record(key: string): _Record {
  return { SequenceNumber: `seq-${key}`, PartitionKey: key, Data: new TextEncoder().encode(key), ApproximateArrivalTimestamp: new Date(0) };
}

/** A GetRecords answer with one record per letter of `keys`; `next: undefined` ends the shard. */
function page(keys: string, options: { next?: string | undefined; millisBehindLatest?: number } = {}): RecordsPage {
  return {
    records: [...keys].map(record),
    nextShardIterator: 'next' in options ? options.next : `after-${keys || 'empty'}`,
    millisBehindLatest: options.millisBehindLatest ?? 0,
  };
}

/** The error the SDK seam makes of an SDK exception on GetRecords. */
function getRecordsError(cause: unknown): KinesumerError {
  return toKinesisError(cause, 'GetRecords', STREAM, SHARD);
}
const throttled = () =>
  getRecordsError(new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }));
const expired = () => getRecordsError(new ExpiredIteratorException({ message: 'Iterator expired', $metadata: { httpStatusCode: 400 } }));

type Call =
  | { at: number; op: 'getShardIterator'; position: StartPosition }
  | { at: number; op: 'getRecords'; iterator: string; limit: number };

/**
 * A scripted seam. GetShardIterator answers `it1`, `it2`, ... at once; the n-th GetRecords call
 * subscribes to `answers[n]`, and once the script is used up, to an empty page at the tip.
 */
function scriptedKinesis(scheduler: TestScheduler, answers: Array<Observable<RecordsPage>>) {
  const calls: Call[] = [];
  let iterators = 0;
  let getRecordsCalls = 0;
  const kinesis: KinesisApi = {
    listShards: () => EMPTY,
    getShardIterator: (_stream, _shardId, position) =>
      defer(() => {
        calls.push({ at: scheduler.now(), op: 'getShardIterator', position });
        iterators += 1;
        return of(`it${iterators}`);
      }),
    getRecords: (_stream, _shardId, iterator, limit) =>
      defer(() => {
        calls.push({ at: scheduler.now(), op: 'getRecords', iterator, limit });
        const answer = answers[getRecordsCalls];
        getRecordsCalls += 1;
        return answer ?? of(page(''));
      }),
  };
  const startsOf = (op: Call['op']) => calls.filter((c) => c.op === op).map((c) => c.at);
  return {
    kinesis,
    calls,
    getRecordsStarts: () => startsOf('getRecords'),
    iteratorCalls: () => calls.flatMap((c) => (c.op === 'getShardIterator' ? [{ at: c.at, position: c.position }] : [])),
  };
}

interface Reported {
  at: number;
  code: string;
  retriable: boolean;
}

/** A reader of the scripted seam, delivering partition keys, with exact backoff (random = 1). */
function reader(
  scheduler: TestScheduler,
  kinesis: KinesisApi,
  overrides: Partial<PollingReaderOptions<string>> = {},
): { records$: Observable<string>; reported: Reported[] } {
  const reported: Reported[] = [];
  const records$ = pollingReader<string>({
    stream: STREAM,
    shardId: SHARD,
    start: { type: 'TRIM_HORIZON' },
    kinesis,
    scheduler,
    scanLimit: 2,
    scanTimeout: 1000,
    idleInterval: 1000,
    // backoff for retry n = min(maxDelay, initialDelay * 2^(n-1)) exactly: 100, 200, 300, 300, ...
    retry: { initialDelay: 100, maxDelay: 300, random: () => 1 },
    report: (err) => reported.push({ at: scheduler.now(), code: err.code, retriable: err.retriable }),
    toRecords: (records) => records.map((r) => r.PartitionKey ?? '?'),
    ...overrides,
  }).pipe(concatAll()); // the reader emits one array per page
  return { records$, reported };
}

const after = (key: string): StartPosition => ({ type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: `seq-${key}` });

/** The largest number of call starts within any window of one second. */
function maxCallsPerSecond(starts: number[]): number {
  return Math.max(0, ...starts.map((from) => starts.filter((at) => at >= from && at < from + 1000).length));
}

test('pacing: while the shard has more, calls start 200 ms apart (counted from the previous start); after an empty or short page, idleInterval', (t) => {
  const scheduler = testScheduler(t);
  let script: ReturnType<typeof scriptedKinesis> | undefined;
  scheduler.run(({ cold, expectObservable }) => {
    script = scriptedKinesis(scheduler, [
      of(page('ab')), //                                    0: full page → next call at 200
      of(page('c', { millisBehindLatest: 500 })), //       200: short but behind → next call at 400
      cold('50ms (p|)', { p: page('de') }), //             400: full, answered at 450 → next call at 600
      cold('30ms (p|)', { p: page('') }), //                600: empty, answered at 630 → next call at 1630
      of(page('f')), //                                    1630: short, at the tip → next call at 2630
    ]);
    const { records$ } = reader(scheduler, script.kinesis, { scanLimit: 2, idleInterval: 1000 });
    expectObservable(records$, '^ 2999ms !').toBe('(ab) 196ms c 249ms (de) 1176ms f');
  });
  t.deepEqual(script?.getRecordsStarts(), [0, 200, 400, 600, 1630, 2630]);
  t.true(MIN_CALL_INTERVAL >= 1000 / KINESIS_MAX_CALLS_PER_SECOND);
  t.true(maxCallsPerSecond(script?.getRecordsStarts() ?? []) <= KINESIS_MAX_CALLS_PER_SECOND);
  // every call used the iterator of the page before it, with the configured Limit
  t.deepEqual(
    script?.calls.flatMap((c) => (c.op === 'getRecords' ? [[c.iterator, c.limit]] : [])),
    [
      ['it1', 2],
      ['after-ab', 2],
      ['after-c', 2],
      ['after-de', 2],
      ['after-empty', 2],
      ['after-f', 2],
    ],
  );
});

test('pacing: a reader far behind never makes more than 5 calls a second, however fast Kinesis answers', (t) => {
  const scheduler = testScheduler(t);
  let script: ReturnType<typeof scriptedKinesis> | undefined;
  scheduler.run(({ expectObservable }) => {
    const full = Array.from({ length: 20 }, (_, i) => of(page(String.fromCharCode(97 + i), { millisBehindLatest: 60_000 })));
    script = scriptedKinesis(scheduler, full);
    const { records$ } = reader(scheduler, script.kinesis, { scanLimit: 1 });
    expectObservable(records$, '^ 2999ms !').toBe('a 199ms b 199ms c 199ms d 199ms e 199ms f 199ms g 199ms h 199ms i 199ms j 199ms k 199ms l 199ms m 199ms n 199ms o');
  });
  t.is(maxCallsPerSecond(script?.getRecordsStarts() ?? []), KINESIS_MAX_CALLS_PER_SECOND);
});

test('shard end: a page without a next iterator delivers its records, then the reader completes', (t) => {
  const scheduler = testScheduler(t);
  let script: ReturnType<typeof scriptedKinesis> | undefined;
  scheduler.run(({ expectObservable }) => {
    script = scriptedKinesis(scheduler, [of(page('abc')), of(page('de', { next: undefined }))]);
    const { records$ } = reader(scheduler, script.kinesis, { scanLimit: 3 });
    expectObservable(records$).toBe('(abc) 195ms (de|)');
  });
  // and it makes no call after the last page
  t.deepEqual(
    script?.calls.map((c) => `${c.op}@${c.at}`),
    ['getShardIterator@0', 'getRecords@0', 'getRecords@200'],
  );
});

test('shard end on an empty last page completes the reader', (t) => {
  const scheduler = testScheduler(t);
  scheduler.run(({ expectObservable }) => {
    const script = scriptedKinesis(scheduler, [of(page('a')), of(page('', { next: undefined }))]);
    const { records$ } = reader(scheduler, script.kinesis, { scanLimit: 2, idleInterval: 500 });
    expectObservable(records$).toBe('a 499ms |');
  });
});

test('an expired iterator is replaced at once, after the last delivered record, without a report', (t) => {
  const scheduler = testScheduler(t);
  let script: ReturnType<typeof scriptedKinesis> | undefined;
  let reported: Reported[] = [];
  scheduler.run(({ cold, expectObservable }) => {
    script = scriptedKinesis(scheduler, [
      of(page('ab')), //                                         0: full → next call at 200
      cold('10ms #', undefined, expired()), //                 200: the iterator expired, answered at 210
      of(page('cd')), //                        new iterator at 210; the call waits for the limit: 400
    ]);
    const r = reader(scheduler, script.kinesis, { scanLimit: 2 });
    reported = r.reported;
    expectObservable(r.records$, '^ 999ms !').toBe('(ab) 396ms (cd)');
  });
  t.deepEqual(script?.iteratorCalls(), [
    { at: 0, position: { type: 'TRIM_HORIZON' } },
    { at: 210, position: after('b') },
  ]);
  // the new iterator is taken at once; the call with it still keeps 200 ms from the one before
  t.deepEqual(
    script?.calls.flatMap((c) => (c.op === 'getRecords' ? [`${c.iterator}@${c.at}`] : [])),
    ['it1@0', 'after-ab@200', 'it2@400', 'after-cd@600'],
  );
  t.deepEqual(reported, []);
});

test('throttling: reported and retried after growing backoff from the last delivered record; the count resets after a success', (t) => {
  const scheduler = testScheduler(t);
  let script: ReturnType<typeof scriptedKinesis> | undefined;
  let reported: Reported[] = [];
  scheduler.run(({ expectObservable }) => {
    script = scriptedKinesis(scheduler, [
      of(page('ab')), //                        0: full → next call at 200
      throwError(throttled), //              200: retry 1 after 100 ms: iterator at 300, call at 400 (limit)
      throwError(throttled), //              400: retry 2 after 200 ms: iterator and call at 600
      throwError(throttled), //              600: retry 3 after min(400, maxDelay 300) ms: 900
      of(page('c')), //                        900: short → idle until 1900
      throwError(throttled), //             1900: retry 1 again (the count was reset): iterator at 2000
      of(page('d')), //                       2100 (200 ms after the call at 1900)
    ]);
    const r = reader(scheduler, script.kinesis, { scanLimit: 2, retry: { initialDelay: 100, maxDelay: 300, random: () => 1 } });
    reported = r.reported;
    expectObservable(r.records$, '^ 2499ms !').toBe('(ab) 896ms c 1199ms d');
  });
  t.deepEqual(
    reported.map((e) => [e.at, e.code, e.retriable]),
    [
      [200, 'KINESIS_THROTTLED', true],
      [400, 'KINESIS_THROTTLED', true],
      [600, 'KINESIS_THROTTLED', true],
      [1900, 'KINESIS_THROTTLED', true],
    ],
  );
  t.deepEqual(script?.iteratorCalls(), [
    { at: 0, position: { type: 'TRIM_HORIZON' } },
    { at: 300, position: after('b') },
    { at: 600, position: after('b') },
    { at: 900, position: after('b') },
    { at: 2000, position: after('c') },
  ]);
});

test('backoff jitter: with random() = 0 each retry waits half the exponential delay', (t) => {
  const scheduler = testScheduler(t);
  let script: ReturnType<typeof scriptedKinesis> | undefined;
  scheduler.run(({ expectObservable }) => {
    script = scriptedKinesis(scheduler, [throwError(throttled), throwError(throttled), of(page('a'))]);
    // random 0: the smallest delays, 50 then 100 (calls at 0, 200 and 400 keep the shard's limit)
    const { records$ } = reader(scheduler, script.kinesis, { retry: { initialDelay: 100, maxDelay: 1000, random: () => 0 } });
    expectObservable(records$, '^ 999ms !').toBe('400ms a');
  });
  t.deepEqual(script?.iteratorCalls().map((c) => c.at), [0, 50, 300]);
});

test('other errors, retriable or not, are reported and retried; the reader never errors out', (t) => {
  const scheduler = testScheduler(t);
  let script: ReturnType<typeof scriptedKinesis> | undefined;
  let reported: Reported[] = [];
  scheduler.run(({ cold, expectObservable }) => {
    const serverError = getRecordsError(new InternalFailureException({ message: 'Internal failure', $metadata: { httpStatusCode: 500 } }));
    const denied = getRecordsError(new AccessDeniedException({ message: 'not authorized', $metadata: { httpStatusCode: 400 } }));
    script = scriptedKinesis(scheduler, [
      of(page('ab')), //                                           0: full → next call at 200
      cold('20ms #', undefined, serverError), //   200: fails at 220, retry after 100: iterator 320, call 400
      cold('5ms #', undefined, denied), //          400: fails at 405, retry after 200
      of(page('c')), //                              605
    ]);
    const r = reader(scheduler, script.kinesis, { scanLimit: 2 });
    reported = r.reported;
    expectObservable(r.records$, '^ 1199ms !').toBe('(ab) 601ms c');
  });
  t.deepEqual(
    reported.map((e) => [e.at, e.code, e.retriable]),
    [
      [220, 'KINESIS_FAILED', true],
      [405, 'KINESIS_FAILED', false],
    ],
  );
  t.deepEqual(script?.iteratorCalls(), [
    { at: 0, position: { type: 'TRIM_HORIZON' } },
    { at: 320, position: after('b') },
    { at: 605, position: after('b') },
  ]);
});

test('a GetRecords call that never answers is cut off after scanTimeout, reported and retried', (t) => {
  const scheduler = testScheduler(t);
  let script: ReturnType<typeof scriptedKinesis> | undefined;
  let reported: Reported[] = [];
  scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
    const hung = cold<RecordsPage>('-');
    script = scriptedKinesis(scheduler, [
      cold('900ms (p|)', { p: page('ab') }), //   0: slow but in time; full → next call at once
      hung, //                                   900: no answer; cut off at 1900, retry after 100
      of(page('c')), //                         2000
    ]);
    const r = reader(scheduler, script.kinesis, { scanLimit: 2, scanTimeout: 1000 });
    reported = r.reported;
    expectObservable(r.records$, '^ 2499ms !').toBe('900ms (ab) 1096ms c');
    // the hung call is abandoned (unsubscribed, so aborted) when it times out
    expectSubscriptions(hung.subscriptions).toBe('900ms ^ 999ms !');
  });
  t.deepEqual(
    reported.map((e) => [e.at, e.code, e.retriable]),
    [[1900, 'KINESIS_TIMEOUT', true]],
  );
  t.deepEqual(script?.iteratorCalls(), [
    { at: 0, position: { type: 'TRIM_HORIZON' } },
    { at: 2000, position: after('b') },
  ]);
});

test('after a timed-out GetRecords call the next ones ask for half as many records, growing back once an answer comes fast', (t) => {
  const scheduler = testScheduler(t);
  let script: ReturnType<typeof scriptedKinesis> | undefined;
  scheduler.run(({ cold, expectObservable }) => {
    script = scriptedKinesis(scheduler, [
      cold<RecordsPage>('-'), //                     0: Limit 8, no answer: cut off at 1000, retried after 100
      cold('300ms (p|)', { p: page('abcd') }), // 1100: Limit 4, full but slow (300 ms >= 1000 / 4): stays at 4
      of(page('efgh')), //                        1400: Limit 4, full and fast: back to 8
      of(page('i')), //                           1600: Limit 8
    ]);
    const r = reader(scheduler, script.kinesis, { scanLimit: 8, scanTimeout: 1000 });
    expectObservable(r.records$, '^ 1999ms !').toBe('1400ms (abcdefgh) 190ms i');
  });
  t.deepEqual(
    script?.calls.flatMap((c) => (c.op === 'getRecords' ? [[c.at, c.limit]] : [])),
    [
      [0, 8],
      [1100, 4],
      [1400, 4],
      [1600, 8],
    ],
  );
});

test('timeouts shrink the page to 1/16 of scanLimit at most: past that the size is not what is wrong', (t) => {
  const scheduler = testScheduler(t);
  let script: ReturnType<typeof scriptedKinesis> | undefined;
  scheduler.run(({ cold, expectObservable }) => {
    const hung = () => cold<RecordsPage>('-');
    script = scriptedKinesis(scheduler, [hung(), hung(), hung(), hung(), hung(), hung(), of(page('a'))]);
    const r = reader(scheduler, script.kinesis, { scanLimit: 32, scanTimeout: 1000, retry: { initialDelay: 100, maxDelay: 100, random: () => 1 } });
    expectObservable(r.records$, '^ 6999ms !').toBe('6600ms a');
  });
  t.deepEqual(
    script?.calls.flatMap((c) => (c.op === 'getRecords' ? [c.limit] : [])),
    [32, 16, 8, 4, 2, 2, 2],
  );
});

test('ready$: no GetRecords call while it says false; the loop goes on when it says true', (t) => {
  const scheduler = testScheduler(t);
  let script: ReturnType<typeof scriptedKinesis> | undefined;
  scheduler.run(({ hot, expectObservable }) => {
    // the consumer's readiness, replaying its latest value to each call as a BehaviorSubject would
    const ready$ = hot('f 299ms t 99ms f 799ms t', { t: true, f: false }).pipe(shareReplay({ bufferSize: 1, refCount: false }));
    script = scriptedKinesis(scheduler, [of(page('a')), of(page('b')), of(page('c'))]);
    const { records$ } = reader(scheduler, script.kinesis, { scanLimit: 1, ready$ });
    expectObservable(records$, '^ 1499ms !').toBe('300ms a 899ms b 199ms c');
  });
  // not ready at 0 (waits until 300); due at 500, but not ready until 1200; then paced again
  t.deepEqual(script?.getRecordsStarts(), [300, 1200, 1400]);
});

test('readyNow: asked before each call; while it says yes, ready$ is not waited on; once it says no, the call waits for ready$', (t) => {
  const scheduler = testScheduler(t);
  let script: ReturnType<typeof scriptedKinesis> | undefined;
  let subscriptions = 0;
  scheduler.run(({ hot, expectObservable }) => {
    // ready$ says true only at 1500: a call that waits on it starts then
    const opens$ = hot('1500ms t', { t: true });
    const ready$ = defer(() => {
      subscriptions += 1;
      return opens$;
    });
    // open for the first two calls (at 0 and 200), closed for the rest
    const readyNow = () => scheduler.now() < 300;
    script = scriptedKinesis(scheduler, [of(page('a')), of(page('b')), of(page('c'))]);
    const { records$ } = reader(scheduler, script.kinesis, { scanLimit: 1, ready$, readyNow });
    expectObservable(records$, '^ 1599ms !').toBe('a 199ms b 1299ms c');
  });
  t.deepEqual(script?.getRecordsStarts(), [0, 200, 1500]);
  t.is(subscriptions, 1, 'ready$ is subscribed to only for the call readyNow held back');
});

test('unsubscribing aborts the call in flight and stops the loop', (t) => {
  const scheduler = testScheduler(t);
  let script: ReturnType<typeof scriptedKinesis> | undefined;
  scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
    const inFlight = cold('150ms (p|)', { p: page('cd') });
    script = scriptedKinesis(scheduler, [of(page('ab')), inFlight]);
    const { records$ } = reader(scheduler, script.kinesis, { scanLimit: 2 });
    expectObservable(records$, '^ 299ms !').toBe('(ab)');
    expectSubscriptions(inFlight.subscriptions).toBe('200ms ^ 99ms !');
  });
  t.deepEqual(
    script?.calls.map((c) => `${c.op}@${c.at}`),
    ['getShardIterator@0', 'getRecords@0', 'getRecords@200'],
  );
});

test('unsubscribing during the wait between calls: no call after', (t) => {
  const scheduler = testScheduler(t);
  let script: ReturnType<typeof scriptedKinesis> | undefined;
  scheduler.run(({ expectObservable }) => {
    script = scriptedKinesis(scheduler, [of(page('a')), of(page('b'))]);
    const { records$ } = reader(scheduler, script.kinesis, { scanLimit: 2, idleInterval: 1000 });
    expectObservable(records$, '^ 999ms !').toBe('a');
  });
  t.deepEqual(script?.getRecordsStarts(), [0]);
});

test('unsubscribing during a backoff: no GetShardIterator after', (t) => {
  const scheduler = testScheduler(t);
  let script: ReturnType<typeof scriptedKinesis> | undefined;
  scheduler.run(({ expectObservable }) => {
    script = scriptedKinesis(scheduler, [throwError(throttled)]);
    const { records$ } = reader(scheduler, script.kinesis, { retry: { initialDelay: 500, maxDelay: 500, random: () => 1 } });
    expectObservable(records$, '^ 299ms !').toBe('');
  });
  t.deepEqual(
    script?.calls.map((c) => `${c.op}@${c.at}`),
    ['getShardIterator@0', 'getRecords@0'],
  );
});

test('while Kinesis is out of reach, one reader of the client probes every second and the first answer ends every backoff: no shard sleeps through the end of an outage', (t) => {
  const scheduler = testScheduler(t);
  let script: ReturnType<typeof scriptedKinesis> | undefined;
  const iterators: number[] = [];
  scheduler.run(({ cold, expectObservable }) => {
    script = scriptedKinesis(scheduler, [cold('a', { a: page('a') })]);
    const down = () => toKinesisError(new InternalFailureException({ message: 'Internal failure', $metadata: { httpStatusCode: 500 } }), 'GetShardIterator', STREAM, SHARD);
    // every call fails until 4500 (an outage), then Kinesis answers again
    const inner = script.kinesis;
    const kinesis = watchAnswers(
      {
        ...inner,
        getShardIterator: (stream, shardId, position) =>
          defer(() => {
            iterators.push(scheduler.now());
            return scheduler.now() < 4500 ? throwError(() => down()) : inner.getShardIterator(stream, shardId, position);
          }),
      },
      scheduler,
    );
    // the backoff alone would wait 20 s, then 30 s
    const { records$ } = reader(scheduler, kinesis, { retry: { initialDelay: 20_000, maxDelay: 30_000, random: () => 1 } });
    expectObservable(records$, '^ 29999ms !').toBe('5000ms a');
  });
  // then it tried once a second (the prober) and read again at the first probe after the heal
  t.deepEqual(iterators, [0, 1000, 2000, 3000, 4000, 5000]);
});

test('one shard failing while the client\'s other calls are answered backs off as before', (t) => {
  const scheduler = testScheduler(t);
  let script: ReturnType<typeof scriptedKinesis> | undefined;
  scheduler.run(({ cold, expectObservable }) => {
    const down = () => getRecordsError(new InternalFailureException({ message: 'Internal failure', $metadata: { httpStatusCode: 500 } }));
    script = scriptedKinesis(scheduler, [cold('#', undefined, down()), cold('a', { a: page('a') })]);
    const kinesis = watchAnswers(script.kinesis, scheduler);
    const { records$ } = reader(scheduler, kinesis, { retry: { initialDelay: 5000, maxDelay: 30_000, random: () => 1 } });
    // another shard's reader of this client is answered every 500 ms
    for (let at = 500; at < 6000; at += 500) scheduler.schedule(() => kinesis.getShardIterator(STREAM, 'other', { type: 'LATEST' }).subscribe(), at);
    expectObservable(records$, '^ 9999ms !').toBe('5000ms a');
  });
  t.deepEqual(script!.getRecordsStarts().slice(0, 2), [0, 5000]);
});
