/**
 * A follower's read of some pages of a stream of many pages: what it reads, and that a snapshot
 * put together from pages of different updates is never used (the stream is read whole instead).
 * The in-memory store, its calls logged; 2,500 shards are three pages.
 */
import test from 'ava';
import { asyncScheduler, defer, from, lastValueFrom, throwError } from 'rxjs';
import { readPages } from '../../src/group/read-pages.js';
import { snapshotOf, type StreamSnapshot } from '../../src/group/shard-lineage.js';
import type { ShardListSource } from '../../src/group/shard-list.js';
import { snapshotDigest } from '../../src/group/snapshot-digest.js';
import type { KinesisApi } from '../../src/kinesis/kinesis-api.js';
import { MemoryStateStore } from '../../src/state-store/memory-state-store.js';
import type { CachedShard, StateStore } from '../../src/state-store/state-store.js';
import { loggedStore } from './group-doubles.js';

const S = (i: number) => `shardId-${String(i).padStart(12, '0')}`;
const list = (count: number, first = 0): CachedShard[] => Array.from({ length: count }, (_, i) => ({ id: S(first + i), closed: false }));

async function setup(shards: CachedShard[]) {
  const memory = new MemoryStateStore();
  const log: string[] = [];
  const store: StateStore = loggedStore(memory, () => 0, log);
  await lastValueFrom(memory.updateShards('app', 's', shards));
  const kinesis = { listShards: () => throwError(() => new Error('no ListShards expected')) } as unknown as KinesisApi;
  const source: ShardListSource = { app: 'app', store, kinesis, call: (_op, fn) => defer(() => from(fn())), timeout: 1000, scheduler: asyncScheduler, report: () => undefined };
  return { memory, log, source };
}

/** What a follower that read everything has: the store's list and states now. */
async function current(memory: MemoryStateStore): Promise<StreamSnapshot> {
  const { stale: _stale, ...snapshot } = snapshotOf((await lastValueFrom(memory.getShards('app', 's')))!, await lastValueFrom(memory.listShardStates('app', 's')));
  return snapshot;
}

test('only the changed page is read, with the states of its range, when the result matches the leader digest', async (t) => {
  const { memory, log, source } = await setup(list(2500));
  const cached = await current(memory);
  // the leader caches a shard more (it lands on the last page)
  await lastValueFrom(memory.updateShards('app', 's', list(2501)));
  const leader = await current(memory);
  const read = await lastValueFrom(readPages(source, 's', cached, [2], snapshotDigest(leader)));
  t.deepEqual(read, leader);
  t.deepEqual(log, ['0 getShardPage s 2', '0 listShardStates s 2000..']);
});

test('pages that do not add up to the leader digest are not used: the stream is read whole', async (t) => {
  const { memory, log, source } = await setup(list(2500));
  const cached = await current(memory);
  // the oldest shards expired: every page starts at another shard, but the follower asks for the last page only
  await lastValueFrom(memory.updateShards('app', 's', list(2490, 10)));
  const leader = await current(memory);
  const read = await lastValueFrom(readPages(source, 's', cached, [2], snapshotDigest(leader)));
  t.deepEqual(read, leader, 'what a whole read gives, not the old pages 0 and 1 with the new page 2');
  t.deepEqual(log.filter((l) => l.includes('getShards')), ['0 getShards s']);
});

test('a page that is not there (the leader is rewriting the cache) makes the stream read whole', async (t) => {
  const { memory, log, source } = await setup(list(2500));
  const cached = await current(memory);
  const leader = { ...cached, shards: list(2501) };
  const read = await lastValueFrom(readPages(source, 's', cached, [2, 3], snapshotDigest(leader)));
  t.deepEqual(read, cached);
  t.deepEqual(log.filter((l) => !l.includes('getShardPage')), ['0 getShards s', '0 listShardStates s']);
});
