/**
 * `readGroupStatus` on a memory store: the lag fields owners publish in their heartbeats, the
 * stream totals, and each shard's status with its reason.
 */
import test from 'ava';
import { lastValueFrom, from, type ObservableInput } from 'rxjs';
import { readGroupStatus, type ShardStatus } from '../../src/cli/group-status.js';
import { MemoryStateStore } from '../../src/state-store/memory-state-store.js';
import type { HeartbeatStats } from '../../src/state-store/state-store.js';

const APP = 'app';
const id = (n: number) => `shardId-${String(n).padStart(12, '0')}`;
const at = (ms: number) => new Date(Date.UTC(2024, 2, 1) + ms);
const run = <T>(call: ObservableInput<T>) => lastValueFrom(from(call));

async function take(store: MemoryStateStore, client: string, shard: number, ms: number): Promise<void> {
  await run(store.acquireShard(APP, 's', id(shard), { clientId: client, aliveSince: at(ms - 10_000), shardStart: undefined, now: at(ms) }));
}

function beat(store: MemoryStateStore, client: string, ms: number, stats: HeartbeatStats = {}) {
  return run(store.heartbeat(APP, client, at(ms), { checkpoints: {}, stats }));
}

async function status(store: MemoryStateStore, nowMs: number): Promise<Map<string, ShardStatus> & { total?: unknown }> {
  const group = await readGroupStatus(store, { app: APP, streams: ['s'], clientTimeout: 10_000, now: at(nowMs) });
  const map = new Map(group.streams[0]!.shards.map((s) => [s.shardId, s])) as Map<string, ShardStatus> & { total?: unknown };
  map.total = group.streams[0]!.total;
  return map;
}

test('the lag fields of each owned shard come from its owner heartbeat; the stream total takes the largest lag and age and sums what is in flight', async (t) => {
  const store = new MemoryStateStore();
  await run(store.updateShards(APP, 's', [{ id: id(0), closed: false }, { id: id(1), closed: false }]));
  await take(store, 'a', 0, 0);
  await take(store, 'b', 1, 0);
  await beat(store, 'a', 1000, { s: { [id(0)]: { lagMs: 5000, lastRecordAgeMs: 6000, inFlight: 40 } } });
  await beat(store, 'b', 1500, { s: { [id(1)]: { lagMs: 0, lastRecordAgeMs: 200, inFlight: 2 } } });
  const shards = await status(store, 2000);
  t.like(shards.get(id(0)), { lagMs: 5000, lastRecordAgeMs: 7000, inFlight: 40, status: 'reading', reason: 'reading' }, 'the age grew by the heartbeat age');
  t.like(shards.get(id(1)), { lagMs: 0, lastRecordAgeMs: 700, inFlight: 2, status: 'reading' });
  t.deepEqual(shards.total, { lagMs: 5000, lastRecordAgeMs: 7000, inFlight: 42, statuses: { reading: 2 } });
});

test('what an owner publishes becomes the status: paused, backpressure, a rejected checkpoint, failing reads, failing records, a stall', async (t) => {
  const store = new MemoryStateStore();
  await run(store.updateShards(APP, 's', Array.from({ length: 6 }, (_, n) => ({ id: id(n), closed: false }))));
  for (let n = 0; n < 6; n++) await take(store, 'a', n, 0);
  await beat(store, 'a', 1000, {
    s: {
      [id(0)]: { state: 'paused', inFlight: 0 },
      [id(1)]: { state: 'backpressure', inFlight: 4000 },
      [id(2)]: { state: 'checkpointRejected', error: 'InvalidArgumentException' },
      [id(3)]: { state: 'cannotRead', error: 'KINESIS_TIMEOUT' },
      [id(4)]: { state: 'failingRecords' },
      [id(5)]: { state: 'stalled', lagMs: 90_000 },
    },
  });
  const shards = await status(store, 1500);
  t.deepEqual(
    [...shards.values()].map((s) => [s.status, s.reason]),
    [
      ['paused', 'paused by its owner (consumer.pause())'],
      ['backpressure', 'held back by backpressure: 4000 records in flight, at the bound (polling.maxInFlight)'],
      ['checkpointRejected', 'checkpoint rejected by Kinesis (InvalidArgumentException)'],
      ['cannotRead', 'cannot read: Kinesis calls fail (KINESIS_TIMEOUT)'],
      ['failingRecords', 'failing records: the processing retries a record of it'],
      ['stalled', 'stalled: behind the tip and nothing delivered for metrics.stallTimeout'],
    ],
  );
});

test('a shard assigned to a client that has not taken it: held by an alive owner until its heartbeat ages out, with the time left; by a dead one; or free', async (t) => {
  const store = new MemoryStateStore();
  await run(store.updateShards(APP, 's', [{ id: id(0), closed: false }, { id: id(1), closed: false }, { id: id(2), closed: false }]));
  await take(store, 'd', 0, 0);
  await take(store, 'e', 1, 0);
  await beat(store, 'd', 4000, { s: { [id(0)]: { lagMs: 0 } } }); // alive until 14000
  await run(store.pingClient(APP, 'e', at(0))); // dead from 10000
  await beat(store, 'c', 11_000, { s: { [id(0)]: { state: 'taking' }, [id(1)]: { state: 'taking' }, [id(2)]: { state: 'taking' } } });
  const shards = await status(store, 11_500);
  t.like(shards.get(id(0)), { status: 'waitingToTake', reason: 'assigned to c but not taken yet: held by d until it lets go or its heartbeat ages out (in 2.5 s)' });
  t.like(shards.get(id(1)), { status: 'waitingToTake', reason: `assigned to c but not taken yet: held by e, dead since ${at(10_000).toISOString()}` });
  t.like(shards.get(id(2)), { status: 'waitingToTake', reason: 'assigned to c, not taken yet' });
});

test('a dead owner nobody takes over, a free shard nobody takes, and a child waiting for its parent', async (t) => {
  const store = new MemoryStateStore();
  await run(
    store.updateShards(APP, 's', [
      { id: id(0), closed: true },
      { id: id(1), closed: false },
      { id: id(2), closed: false, parentShardId: id(0) },
      { id: id(3), closed: false, parentShardId: id(0) },
    ]),
  );
  await take(store, 'gone', 0, 0);
  await run(store.pingClient(APP, 'gone', at(0)));
  await beat(store, 'a', 20_000);
  const shards = await status(store, 20_500);
  t.like(shards.get(id(0)), { status: 'ownerDead', reason: `owner gone dead since ${at(10_000).toISOString()}` });
  t.like(shards.get(id(1)), { status: 'unowned', reason: 'nobody holds it or takes it' });
  t.like(shards.get(id(2)), { status: 'waitingForParent', reason: `waiting for parent ${id(0)} to finish` });
  t.like(shards.get(id(3)), { status: 'waitingForParent' });

  // once the parent is finished, the children wait no more
  await run(store.commitShard(APP, 's', id(0), { clientId: 'gone', sequenceNumber: undefined, previous: undefined, finished: true, now: at(20_600) }));
  const after = await status(store, 21_000);
  t.like(after.get(id(0)), { status: 'finished', reason: 'read to its end' });
  t.like(after.get(id(2)), { status: 'unowned' });
});
