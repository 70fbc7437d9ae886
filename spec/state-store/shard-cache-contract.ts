/**
 * The shard cache of streams with many shards, as every StateStore with pages must keep it: a
 * list longer than SHARD_CACHE_PAGE_SIZE round-trips whole and page by page, shrinks and grows
 * between one page and many, and the shard states can be listed by range of ids.
 */
import type { ExecutionContext, TestFn } from 'ava';
import { SHARD_CACHE_PAGE_SIZE, type CachedShard, type StateStore } from '../../src/state-store/state-store.js';
import { acquire, run, shardId, shardStart, uniqueApp } from './contract.js';

/** `count` shards from `first` on, as a stream after splits has them: every second one closed, children with a parent. */
export function manyShards(count: number, first = 0): CachedShard[] {
  return Array.from({ length: count }, (_, i): CachedShard => {
    const n = first + i;
    const shard: CachedShard = { id: shardId(n), closed: n % 2 === 0, startingSequenceNumber: `${shardStart(n)}${'7'.repeat(30)}` };
    if (n > 1) shard.parentShardId = shardId(Math.floor(n / 2));
    return shard;
  });
}

/** Registers the tests for one implementation (`open` as in `stateStoreContract`). */
export function shardCacheContract<C>(test: TestFn<C>, name: string, open: (t: ExecutionContext<C>) => StateStore | Promise<StateStore>): void {
  const P = SHARD_CACHE_PAGE_SIZE;

  test(`${name}: a shard cache of ${2 * P + 500} shards round-trips whole and in pages of ${P}`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    const shards = manyShards(2 * P + 500);
    await run(store.updateShards(app, 's', shards));
    t.deepEqual(await run(store.getShards(app, 's')), shards);
    t.truthy(store.getShardPage, 'a store that pages has getShardPage');
    t.deepEqual(await run(store.getShardPage!(app, 's', 0)), shards.slice(0, P));
    t.deepEqual(await run(store.getShardPage!(app, 's', 1)), shards.slice(P, 2 * P));
    t.deepEqual(await run(store.getShardPage!(app, 's', 2)), shards.slice(2 * P));
    t.is(await run(store.getShardPage!(app, 's', 3)), undefined, 'no such page');
    t.is(await run(store.getShardPage!(app, 'other', 0)), undefined, 'no such stream');
  });

  test(`${name}: a shard cache of exactly ${P} shards is one page: no pages to read`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    const shards = manyShards(P);
    await run(store.updateShards(app, 's', shards));
    t.deepEqual(await run(store.getShards(app, 's')), shards);
    t.is(await run(store.getShardPage!(app, 's', 0)), undefined);
  });

  test(`${name}: each stream's shard cache is its own, also under names that start with another's, paged or not`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    const names = ['orders', 'orders-eu', 'orders.x', 'orders_1', 'ordersA', 'order'];
    const lists = names.map((_, i) => (i === 0 || i === 2 ? manyShards(P + 3, i) : manyShards(3, 10 * i)));
    for (const [i, stream] of names.entries()) await run(store.updateShards(app, stream, lists[i]!));
    for (const [i, stream] of names.entries()) t.deepEqual(await run(store.getShards(app, stream)), lists[i], stream);
    // a paged list read, then one that fits an item, then read again: no page of it is left to mix in
    await run(store.updateShards(app, 'orders', manyShards(4)));
    t.deepEqual(await run(store.getShards(app, 'orders')), manyShards(4));
    t.is(await run(store.getShardPage!(app, 'orders', 0)), undefined, 'the pages of "orders" are gone');
    t.deepEqual(await run(store.getShards(app, 'orders.x')), lists[2], 'and those of "orders.x" are not');
    // a read that found no pages, then a paged write, then one that fits: the pages still go
    await run(store.updateShards(app, 'orders', manyShards(P + 1)));
    await run(store.updateShards(app, 'orders', manyShards(2)));
    t.is(await run(store.getShardPage!(app, 'orders', 0)), undefined);
    t.deepEqual(await run(store.getShards(app, 'orders')), manyShards(2));
  });

  test(`${name}: a paged shard cache shrinks to fewer pages, to one, and grows again, never mixing lists`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    // given three pages
    await run(store.updateShards(app, 's', manyShards(3 * P)));
    // when the last shards expire and the first split (a page changes in the middle, one goes)
    const fewer = manyShards(2 * P - 10, 5);
    await run(store.updateShards(app, 's', fewer));
    t.deepEqual(await run(store.getShards(app, 's')), fewer);
    t.deepEqual(await run(store.getShardPage!(app, 's', 1)), fewer.slice(P));
    t.is(await run(store.getShardPage!(app, 's', 2)), undefined, 'the third page is gone');
    // when it fits one page again
    const one = manyShards(10);
    await run(store.updateShards(app, 's', one));
    t.deepEqual(await run(store.getShards(app, 's')), one);
    t.is(await run(store.getShardPage!(app, 's', 0)), undefined, 'no pages left');
    t.is(await run(store.getShardPage!(app, 's', 1)), undefined);
    // and grows past one page again
    const again = manyShards(P + 1, 100);
    await run(store.updateShards(app, 's', again));
    t.deepEqual(await run(store.getShards(app, 's')), again);
    t.deepEqual(await run(store.getShardPage!(app, 's', 1)), again.slice(P));
  });

  test(`${name}: listShardStates with a range lists only the states whose ids are in it`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    for (const n of [0, 1, 2, 3, 4]) await acquire(store, app, n, 'c1');
    const ids = async (range: { from?: string; before?: string }) => (await run(store.listShardStates(app, 's', range))).map((s) => s.shardId);
    t.deepEqual(await ids({ from: shardId(1), before: shardId(3) }), [shardId(1), shardId(2)], 'from inclusive, before exclusive');
    t.deepEqual(await ids({ from: shardId(3) }), [shardId(3), shardId(4)]);
    t.deepEqual(await ids({ before: shardId(1) }), [shardId(0)]);
    t.deepEqual(await ids({ from: `${shardId(1)}a`, before: shardId(4) }), [shardId(2), shardId(3)], 'bounds need not be ids');
    t.deepEqual(await ids({}), [0, 1, 2, 3, 4].map(shardId));
    t.deepEqual(await ids({ from: shardId(4), before: shardId(4) }), []);
  });
}
