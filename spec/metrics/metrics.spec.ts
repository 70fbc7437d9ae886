/**
 * metrics$ and events$ of a scripted scenario on virtual time: records on two shards, then a
 * client joins and one shard moves away. Snapshots every 2250 ms (frames chosen so that no
 * snapshot shares a frame with a GetRecords call, a commit or a sync round).
 */
import test from 'ava';
import { filter } from 'rxjs';
import type { KinesumerEvent, KinesumerMetrics } from '../../src/metrics/metrics.js';
import { checkpoint } from '../../src/checkpoint/checkpoint.js';
import { createKinesumer } from '../../src/index.js';
import { silentLogger } from '../../src/logger.js';
import { MemoryStateStore } from '../../src/state-store/memory-state-store.js';
import { FakeKinesis, makeRecords, openShards } from '../helpers/fake-kinesis.js';
import { fakeKinesis, putOn } from '../helpers/kit.js';
import { testScheduler } from '../helpers/marbles.js';

const S = (i: number) => `shardId-${String(i).padStart(12, '0')}`;

test('the metrics of a scripted scenario are the expected snapshots at the expected frames', (t) => {
  const scheduler = testScheduler(t);
  const snapshots: KinesumerMetrics[] = [];
  const events: KinesumerEvent[] = [];
  scheduler.run(() => {
    const kinesis = fakeKinesis(scheduler, { s: 2 });
    putOn(kinesis, 's', 0, 3); // "record 0".."record 2": 8 bytes each
    putOn(kinesis, 's', 1, 2);
    const store = new MemoryStateStore();
    const config = {
      kinesis,
      stateStore: store,
      app: 'app',
      initialPosition: 'TRIM_HORIZON' as const,
      scheduler,
      logger: silentLogger,
      commit: { interval: 4000 },
      metrics: { interval: 2250 },
    };
    const a = createKinesumer({ ...config, clientId: 'a' });
    const b = createKinesumer({ ...config, clientId: 'b' });
    a.metrics$.subscribe((m) => snapshots.push(m));
    a.events$.subscribe((e) => events.push(e));
    a.consume(['s']).pipe(checkpoint(a)).subscribe();
    scheduler.schedule(() => b.consume(['s']).subscribe(), 7000);
    scheduler.schedule(() => [a, b].forEach((m) => void m.close()), 12_000);
  });
  const shard = (i: number, records: number, checkpointed: number, calls: number, since: number | undefined) => ({
    stream: 's',
    shardId: S(i),
    records,
    bytes: records * 8,
    checkpointed,
    millisBehindLatest: 0,
    msSinceLastRecord: since,
    calls,
    throttles: 0,
    lastRecordAgeMs: since === undefined ? undefined : since, // the records arrived at 0 and were read at 0
    inFlight: 0,
    state: 'reading',
    stalled: false,
    stalls: 0,
  });
  const processing = { inFlight: 0, waiting: 0, processed: 0, retries: 0, deadLettered: 0, failed: 0, handlerMs: 0, handlerCalls: 0 };
  const base = { app: 'app', clientId: 'a', leader: true, storeCalls: snapshots[0]?.storeCalls ?? {}, errors: {}, processing };
  // at 2250: both shards read at 0 (calls at 0, 1000, 2000), nothing committed yet
  t.deepEqual(snapshots[0], {
    ...base,
    at: 2250,
    aliveClients: 1,
    ownedShards: 2,
    rebalances: { count: 0, lastDurationMs: 0 },
    commits: { count: 0, failures: 0, lastLatencyMs: undefined },
    shards: [shard(0, 3, 0, 3, 2250), shard(1, 2, 0, 3, 2250)],
  });
  // at 4500: the commit at 4000 wrote both shards
  t.like(snapshots[1], { at: 4500, commits: { count: 2, failures: 0, lastLatencyMs: 0 } });
  t.deepEqual(snapshots[1]!.shards.map((s) => [s.checkpointed, s.calls]), [
    [3, 5],
    [2, 5],
  ]);
  // at 11250: b joined at 7000; a's sync at 10000 gave shard 1 up: one rebalance, one shard owned
  const late = snapshots.find((m) => m.at === 11_250)!;
  t.like(late, { aliveClients: 2, ownedShards: 1, leader: true, rebalances: { count: 1, lastDurationMs: 0 } });
  t.deepEqual(late.shards.map((s) => s.shardId), [S(0)]);
  // commits ride in heartbeats; the release at 10000 wrote shard 1's item
  t.true(late.storeCalls['heartbeat']! >= 3 && late.storeCalls['commitShard']! >= 1, JSON.stringify(late.storeCalls));
  // and the events, with their frames
  t.deepEqual(
    events.map((e) => `${e.at} ${e.type}${'shardId' in e ? ` ${e.shardId.slice(-1)}` : ''}${'clientId' in e ? ` ${e.clientId}` : ''}`),
    [
      '0 leaderGained',
      '0 shardAcquired 0',
      '0 shardAcquired 1',
      '4000 checkpointCommitted 0',
      '4000 checkpointCommitted 1',
      '10000 clientJoined b',
      '10000 shardReleased 1',
      '12000 shardReleased 0',
    ],
  );
});

test('each heartbeat publishes, per owned shard, the last MillisBehindLatest, the age of the last delivered record and the records in flight', (t) => {
  const scheduler = testScheduler(t);
  const store = new MemoryStateStore();
  const beats: unknown[] = [];
  scheduler.run((helpers) => {
    const kinesis = new FakeKinesis(helpers, () => scheduler.now(), { s: openShards(1) });
    // five records that arrived at 0, read at 0 with 3000 ms still behind them
    kinesis.queue('s', S(0), makeRecords(0, 0, 5), { millisBehindLatest: 3000 });
    // then empty pages that still say 1234 ms behind (the reader asks again every 200 ms)
    for (let i = 0; i < 40; i++) kinesis.queue('s', S(0), [], { millisBehindLatest: 1234 });
    const a = createKinesumer({ kinesis, stateStore: store, app: 'app', clientId: 'a', initialPosition: 'TRIM_HORIZON', scheduler, logger: silentLogger });
    // the pipeline lets only the first two reach checkpoint(): three stay in flight
    a.consume(['s']).pipe(filter((r) => r.partitionKey < 'pk-2'), checkpoint(a)).subscribe();
    scheduler.schedule(() => beats.push(store.snapshot().heartbeats['app']?.['a']?.stats), 5001);
    scheduler.schedule(() => void a.close(), 6000);
  });
  // the heartbeat of the sync round at 5000: the last page's lag, the records' age then, three in flight
  t.deepEqual(beats, [{ s: { [S(0)]: { lagMs: 1234, lastRecordAgeMs: 5000, inFlight: 3 } } }]);
});
