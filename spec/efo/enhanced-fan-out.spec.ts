/**
 * Enhanced fan-out for one client: one DescribeStreamSummary and one registration per stream,
 * shared by the readers of its shards; looking the consumer up again after a subscribe finds it
 * gone; deregistering only when asked to and only by the group's last client; the consumer name.
 */
import test from 'ava';
import { KinesisClient, ResourceNotFoundException } from '@aws-sdk/client-kinesis';
import { EMPTY, concatAll, firstValueFrom, lastValueFrom, merge, of, throwError, type Observable } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { resolveConfig } from '../../src/config/resolve-config.js';
import { consumerName$, defaultConsumerName } from '../../src/efo/consumer-name.js';
import { EnhancedFanOut, enhancedFanOut, type EnhancedFanOutOptions } from '../../src/efo/enhanced-fan-out.js';
import { KinesisError, StateStoreError, UsageError, type KinesumerError } from '../../src/errors.js';
import type { EfoKinesisApi, KinesisApi, ShardEvent, StreamConsumer } from '../../src/kinesis/kinesis-api.js';
import { toEfoError } from '../../src/kinesis/kinesis-errors.js';
import { MemoryStateStore } from '../../src/state-store/memory-state-store.js';
import { scriptedEfo, shardEvent as ev } from '../helpers/fake-kinesis.js';
import { testScheduler } from '../helpers/marbles.js';

const ARN = (stream: string) => `arn:aws:kinesis:us-east-1:123456789012:stream/${stream}`;

/** A full seam: scripted subscriptions plus logged registration calls; consumers are ACTIVE at once. */
function seam(scheduler: TestScheduler, subscriptions: Array<Observable<ShardEvent>>) {
  const script = scriptedEfo(() => scheduler.now(), subscriptions);
  const log: string[] = [];
  let registrations = 0;
  const kinesis: KinesisApi & EfoKinesisApi = {
    listShards: () => EMPTY,
    ...script.kinesis,
    describeStreamSummary: (stream) => {
      log.push(`summary ${stream}@${scheduler.now()}`);
      return of({ streamArn: ARN(stream), status: 'ACTIVE' });
    },
    registerStreamConsumer: (stream, streamArn, name) => {
      log.push(`register ${stream} ${name}@${scheduler.now()}`);
      registrations += 1;
      const consumer: StreamConsumer = { consumerName: name, consumerArn: `${streamArn}/consumer/${name}:${registrations}`, status: 'ACTIVE' };
      return of(consumer);
    },
    describeStreamConsumer: () => throwError(() => new Error('not expected')),
    deregisterStreamConsumer: (stream, streamArn, name) => {
      log.push(`deregister ${stream} ${streamArn} ${name}@${scheduler.now()}`);
      return of(undefined);
    },
  };
  return { kinesis, log, subscribes: script.subscribes };
}

function fanOut(scheduler: TestScheduler, kinesis: KinesisApi & EfoKinesisApi, overrides: Partial<EnhancedFanOutOptions> = {}) {
  const reported: string[] = [];
  const efo = new EnhancedFanOut({
    app: 'app',
    clientId: 'me',
    kinesis,
    consumerName$: of('app-us-east-1'),
    scheduler,
    retry: { initialDelay: 100, maxDelay: 300, random: () => 1 },
    report: (err: KinesumerError) => reported.push(`${err.code}@${scheduler.now()}`),
    isLeader: () => true,
    deregisterOnClose: false,
    store: { listAliveClients: () => of([]) },
    clientTimeout: 3000,
    callTimeout: 1000,
    ...overrides,
  });
  return { efo, reported };
}

const shardReader = (efo: EnhancedFanOut, stream: string, shardId: string, report: (err: KinesumerError) => void = () => undefined) =>
  efo.reader<string>({
    stream,
    shardId,
    start: { type: 'TRIM_HORIZON' },
    report,
    toRecords: (records) => records.map((r) => r.PartitionKey ?? '?'),
  }).pipe(concatAll()); // the reader emits one array per event

test('one DescribeStreamSummary and one registration per stream, shared by the readers of its shards', (t) => {
  const scheduler = testScheduler(t);
  let run: ReturnType<typeof seam> | undefined;
  scheduler.run(({ cold, expectObservable }) => {
    run = seam(scheduler, [cold('a', { a: ev('a') }), cold('b', { b: ev('b') }), cold('c', { c: ev('c') })]);
    const { efo } = fanOut(scheduler, run.kinesis);
    const records$ = merge(
      shardReader(efo, 'orders', 'shardId-000000000000'),
      shardReader(efo, 'orders', 'shardId-000000000001'),
      shardReader(efo, 'refunds', 'shardId-000000000000'),
    );
    expectObservable(records$, '^ 999ms !').toBe('(abc)');
  });
  t.deepEqual(run!.log, ['summary orders@0', 'register orders app-us-east-1@0', 'summary refunds@0', 'register refunds app-us-east-1@0']);
  t.deepEqual(
    run!.subscribes.map((s) => [s.stream, s.shardId, s.consumerArn]),
    [
      ['orders', 'shardId-000000000000', `${ARN('orders')}/consumer/app-us-east-1:1`],
      ['orders', 'shardId-000000000001', `${ARN('orders')}/consumer/app-us-east-1:1`],
      ['refunds', 'shardId-000000000000', `${ARN('refunds')}/consumer/app-us-east-1:2`],
    ],
  );
});

test('a subscribe that finds the consumer gone (ResourceNotFoundException) makes the next subscribe look it up again', (t) => {
  const scheduler = testScheduler(t);
  let run: ReturnType<typeof seam> | undefined;
  let reported: string[] = [];
  scheduler.run(({ cold, expectObservable }) => {
    const gone = toEfoError(new ResourceNotFoundException({ message: 'consumer not found', $metadata: {} }), 'SubscribeToShard', 'orders', 'shardId-000000000000');
    run = seam(scheduler, [cold('a 99ms #', { a: ev('a') }, gone), cold('b', { b: ev('b') })]);
    const { efo } = fanOut(scheduler, run.kinesis);
    reported = [];
    const records$ = shardReader(efo, 'orders', 'shardId-000000000000', (err) => reported.push(`${err.code}@${scheduler.now()}`));
    expectObservable(records$, '^ 5999ms !').toBe('a 4999ms b');
  });
  // the ARN is kept; the consumer is registered again (as the leader does when it is missing)
  t.deepEqual(run!.log, ['summary orders@0', 'register orders app-us-east-1@0', 'register orders app-us-east-1@5000']);
  t.deepEqual(
    run!.subscribes.map((s) => [s.at, s.consumerArn, s.position]),
    [
      [0, `${ARN('orders')}/consumer/app-us-east-1:1`, { type: 'TRIM_HORIZON' }],
      [5000, `${ARN('orders')}/consumer/app-us-east-1:2`, { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: 'seq-a' }],
    ],
  );
  t.deepEqual(reported, ['KINESIS_RESOURCE_NOT_FOUND@100']);
});

test('leaving: consumers are kept by default', (t) => {
  const scheduler = testScheduler(t);
  let run: ReturnType<typeof seam> | undefined;
  let asked = 0;
  scheduler.run(({ expectObservable }) => {
    run = seam(scheduler, []);
    const { efo } = fanOut(scheduler, run.kinesis, { store: { listAliveClients: () => (asked++, of([])) } });
    expectObservable(efo.leave$(['orders'])).toBe('|');
  });
  t.deepEqual(run!.log, []);
  t.is(asked, 0);
});

test('leaving with deregisterOnClose: the last client of the group deregisters every stream consumer', (t) => {
  const scheduler = testScheduler(t);
  let run: ReturnType<typeof seam> | undefined;
  let since: Date | undefined;
  scheduler.run(({ expectObservable }) => {
    scheduler.schedule(() => undefined, 0);
    run = seam(scheduler, []);
    const { efo } = fanOut(scheduler, run.kinesis, {
      deregisterOnClose: true,
      // our own row may still be there if deregistering it failed: it does not count
      store: { listAliveClients: (_app, s) => ((since = s), of(['me'])) },
    });
    expectObservable(efo.leave$(['orders', 'refunds']), '7000ms ^').toBe('7000ms |');
  });
  t.deepEqual(run!.log, [
    'summary orders@7000',
    `deregister orders ${ARN('orders')} app-us-east-1@7000`,
    'summary refunds@7000',
    `deregister refunds ${ARN('refunds')} app-us-east-1@7000`,
  ]);
  // alive means: a heartbeat within clientTimeout
  t.deepEqual(since, new Date(7000 - 3000));
});

test('leaving with deregisterOnClose while another client is alive keeps the consumers', (t) => {
  const scheduler = testScheduler(t);
  let run: ReturnType<typeof seam> | undefined;
  scheduler.run(({ expectObservable }) => {
    run = seam(scheduler, []);
    const { efo } = fanOut(scheduler, run.kinesis, { deregisterOnClose: true, store: { listAliveClients: () => of(['other']) } });
    expectObservable(efo.leave$(['orders'])).toBe('|');
  });
  t.deepEqual(run!.log, []);
});

test('leaving with deregisterOnClose: a failed or hung alive-clients query is reported and nothing is deregistered', (t) => {
  const scheduler = testScheduler(t);
  let run: ReturnType<typeof seam> | undefined;
  let reported: string[] = [];
  scheduler.run(({ cold, expectObservable }) => {
    run = seam(scheduler, []);
    const failing = fanOut(scheduler, run.kinesis, { deregisterOnClose: true, store: { listAliveClients: () => throwError(() => new Error('down')) } });
    const hung = fanOut(scheduler, run.kinesis, { deregisterOnClose: true, store: { listAliveClients: () => cold('-') } });
    reported = failing.reported;
    expectObservable(failing.efo.leave$(['orders'])).toBe('|');
    // never longer than callTimeout
    expectObservable(hung.efo.leave$(['orders'])).toBe('1000ms |');
    scheduler.schedule(() => reported.push(...hung.reported), 2000);
  });
  t.deepEqual(run!.log, []);
  t.deepEqual(reported, ['STATE_STORE_FAILED@0', 'STATE_STORE_FAILED@1000']);
});

test('leaving with deregisterOnClose: a call that does not answer within callTimeout is reported as such, retriable', (t) => {
  const scheduler = testScheduler(t);
  const errors: KinesumerError[] = [];
  const report = (err: KinesumerError) => errors.push(err);
  scheduler.run(({ cold, expectObservable }) => {
    const run = seam(scheduler, []);
    const hungStore = fanOut(scheduler, run.kinesis, { deregisterOnClose: true, report, store: { listAliveClients: () => cold('-') } });
    const hungKinesis = fanOut(scheduler, { ...run.kinesis, deregisterStreamConsumer: () => cold('-') }, { deregisterOnClose: true, report });
    expectObservable(hungStore.efo.leave$(['orders'])).toBe('1000ms |');
    expectObservable(hungKinesis.efo.leave$(['orders']), '2000ms ^').toBe('3000ms |');
  });
  t.is(errors.length, 2);
  const [store, kinesis] = errors;
  t.true(store instanceof StateStoreError);
  t.like(store, { code: 'STATE_STORE_FAILED', retriable: true, operation: 'listAliveClients', message: 'State store listAliveClients failed: no answer within 1000 ms' });
  t.true(kinesis instanceof KinesisError);
  t.like(kinesis, {
    code: 'KINESIS_FAILED',
    retriable: true,
    operation: 'DeregisterStreamConsumer',
    stream: 'orders',
    message: 'Kinesis DeregisterStreamConsumer on stream "orders" failed: no answer within 1000 ms',
  });
});

test('enhancedFanOut is undefined with efo off, and refuses a seam without the enhanced fan-out calls', (t) => {
  const store = new MemoryStateStore();
  const deps = { store, report: () => undefined, isLeader: () => true };
  const full = seam(testScheduler(t), []).kinesis;
  t.is(enhancedFanOut(resolveConfig({ app: 'app', kinesis: full, stateStore: store }), { ...deps, kinesis: full }), undefined);
  t.true(enhancedFanOut(resolveConfig({ app: 'app', kinesis: full, stateStore: store, efo: true }), { ...deps, kinesis: full }) instanceof EnhancedFanOut);
  const polling: KinesisApi = { listShards: () => EMPTY, getShardIterator: () => EMPTY, getRecords: () => EMPTY };
  const err = t.throws(() => enhancedFanOut(resolveConfig({ app: 'app', kinesis: full, stateStore: store, efo: true }), { ...deps, kinesis: polling }));
  t.true(err instanceof UsageError);
});

test('the consumer name: efo.consumerName, else the app with -<region> when a region is configured (kinesumer)', async (t) => {
  t.is(defaultConsumerName('orders-indexer', 'eu-west-1'), 'orders-indexer-eu-west-1');
  t.is(defaultConsumerName('orders-indexer', undefined), 'orders-indexer');
  t.is(await firstValueFrom(consumerName$('app', 'custom', { region: 'eu-west-1' })), 'custom');
  t.is(await firstValueFrom(consumerName$('app', undefined, { region: 'eu-west-1' })), 'app-eu-west-1');
  t.is(await firstValueFrom(consumerName$('app', undefined, { endpoint: 'http://localhost:4567' })), 'app');
  const client = new KinesisClient({ region: 'ap-northeast-2', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  t.is(await firstValueFrom(consumerName$('app', undefined, client)), 'app-ap-northeast-2');
  const seamOnly: KinesisApi = { listShards: () => EMPTY, getShardIterator: () => EMPTY, getRecords: () => EMPTY };
  t.is(await lastValueFrom(consumerName$('app', undefined, seamOnly)), 'app');
});
