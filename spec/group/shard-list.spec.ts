/** Shard lists: the leader's from Kinesis (keeping the cache up to date), a follower's from the cache. */
import test, { type ExecutionContext } from 'ava';
import { of, throwError, type Observable } from 'rxjs';
import { KinesisError, type KinesumerError } from '../../src/errors.js';
import { followerShardList, kinesisShardList, leaderShardList, sameShards, toCachedShard, type ShardListSource } from '../../src/group/shard-list.js';
import { storeCall } from '../../src/group/store-call.js';
import type { ShardDescription } from '../../src/kinesis/kinesis-api.js';
import { MemoryStateStore } from '../../src/state-store/memory-state-store.js';
import type { CachedShard, StateStore } from '../../src/state-store/state-store.js';
import { testScheduler } from '../helpers/marbles.js';
import { kinesisDouble } from './group-doubles.js';

const described = (id: string, more: Partial<ShardDescription> = {}): ShardDescription => ({
  shardId: id,
  parentShardId: undefined,
  adjacentParentShardId: undefined,
  closed: false,
  startingSequenceNumber: undefined,
  ...more,
});

function source(t: ExecutionContext, store: StateStore, shards: ShardDescription[], log: string[] = []): ShardListSource & { reports: KinesumerError[] } {
  const scheduler = testScheduler(t);
  const reports: KinesumerError[] = [];
  const kinesis = kinesisDouble(() => 0, log, () => of(shards));
  return { app: 'app', store, kinesis, call: storeCall(3000, scheduler), timeout: 3000, scheduler, report: (e) => reports.push(e), reports };
}

/** The value a synchronous Observable emits (the memory store and `of` answer at once). */
function first<T>(o: Observable<T>): T | undefined {
  let value: T | undefined;
  o.subscribe((v) => (value = v));
  return value;
}

test('a described shard is cached with the fields it has', (t) => {
  t.deepEqual(toCachedShard(described('b')), { id: 'b', closed: false });
  t.deepEqual(toCachedShard(described('b', { closed: true, parentShardId: 'p', adjacentParentShardId: 'q', startingSequenceNumber: '7' })), {
    id: 'b',
    closed: true,
    parentShardId: 'p',
    adjacentParentShardId: 'q',
    startingSequenceNumber: '7',
  });
});

test('two lists are the same when every shard says the same, in any order of the cache', (t) => {
  const a: CachedShard[] = [{ id: 'a', closed: false }, { id: 'b', closed: true, parentShardId: 'a', adjacentParentShardId: 'c', startingSequenceNumber: '5' }];
  t.true(sameShards(a, [a[1]!, a[0]!]));
  t.false(sameShards(a, undefined));
  t.false(sameShards(a, [a[0]!]));
  for (const change of [{ id: 'x' }, { closed: false }, { parentShardId: 'x' }, { adjacentParentShardId: 'x' }, { startingSequenceNumber: '6' }]) {
    t.false(sameShards(a, [a[0]!, { ...a[1]!, ...change }]), JSON.stringify(change));
  }
});

test('ListShards answers sorted by id; a failure or a hang is a Kinesis error of ListShards', (t) => {
  const scheduler = testScheduler(t);
  scheduler.run(({ cold, expectObservable }) => {
    const of2 = kinesisDouble(() => 0, [], () => cold('(a|)', { a: [described('b'), described('a')] }));
    const reset = new Error('reset');
    const failing = kinesisDouble(() => 0, [], () => throwError(() => reset));
    const hung = kinesisDouble(() => 0, [], () => cold('-'));
    expectObservable(kinesisShardList({ kinesis: of2, timeout: 3000, scheduler }, 's')).toBe('(a|)', { a: [{ id: 'a', closed: false }, { id: 'b', closed: false }] });
    expectObservable(kinesisShardList({ kinesis: failing, timeout: 3000, scheduler }, 's')).toBe('#', undefined, new KinesisError('ListShards', 's', undefined, 'Error: reset', { cause: reset, retriable: true }));
    expectObservable(kinesisShardList({ kinesis: hung, timeout: 3000, scheduler }, 's')).toBe('3000ms #', undefined, new KinesisError('ListShards', 's', undefined, 'no answer within 3000 ms', { retriable: true }));
  });
});

test('the leader writes the cache only when ListShards says something else; a failed write is reported and the list used', (t) => {
  const memory = new MemoryStateStore();
  const writes: string[][] = [];
  const store = Object.create(memory) as StateStore;
  store.updateShards = (app, stream, shards) => {
    writes.push(shards.map((s) => s.id));
    return memory.updateShards(app, stream, shards);
  };
  const list = [described('b'), described('a')];
  const leader = source(t, store, list);
  t.deepEqual(first(leaderShardList(leader, 's')), [{ id: 'a', closed: false }, { id: 'b', closed: false }]);
  t.deepEqual(first(leaderShardList(leader, 's')), [{ id: 'a', closed: false }, { id: 'b', closed: false }]);
  t.deepEqual(writes, [['a', 'b']]);
  list.push(described('c'));
  memory.failNext('updateShards', new Error('throttled'));
  t.deepEqual(first(leaderShardList(leader, 's'))?.map((s) => s.id), ['a', 'b', 'c']);
  t.deepEqual(writes, [['a', 'b'], ['a', 'b', 'c']]);
  t.deepEqual(leader.reports.map((e) => e.message), ['State store updateShards failed: Error: throttled']);
});

test('a follower uses the cache, sorted, and asks Kinesis only while there is none', (t) => {
  const memory = new MemoryStateStore();
  const log: string[] = [];
  const follower = source(t, memory, [described('k')], log);
  t.deepEqual(first(followerShardList(follower, 's')), [{ id: 'k', closed: false }]);
  t.deepEqual(log, ['0 listShards s']);
  memory.updateShards('app', 's', [{ id: 'b', closed: false }, { id: 'a', closed: true }]).subscribe();
  t.deepEqual(first(followerShardList(follower, 's')), [{ id: 'a', closed: true }, { id: 'b', closed: false }]);
  t.deepEqual(log, ['0 listShards s']);
});
