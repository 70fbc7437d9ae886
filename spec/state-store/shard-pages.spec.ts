/** The pages of a shard cache and the ranges of ids they stand for: table tests. */
import test from 'ava';
import { inRange, pageRange, shardPages } from '../../src/state-store/shard-pages.js';
import { SHARD_CACHE_PAGE_SIZE } from '../../src/state-store/state-store.js';

const pagesOf: Array<[count: number, size: number, lengths: number[]]> = [
  [0, 3, [0]],
  [1, 3, [1]],
  [3, 3, [3]],
  [4, 3, [3, 1]],
  [9, 3, [3, 3, 3]],
  [10, 3, [3, 3, 3, 1]],
  [10_000, SHARD_CACHE_PAGE_SIZE, Array(10).fill(SHARD_CACHE_PAGE_SIZE)],
  [10_001, SHARD_CACHE_PAGE_SIZE, [...Array(10).fill(SHARD_CACHE_PAGE_SIZE), 1]],
];
for (const [count, size, lengths] of pagesOf) {
  test(`shardPages: ${count} shards in pages of ${size} are pages of ${lengths.length > 4 ? `${lengths.length} pages` : lengths.join(', ')}`, (t) => {
    const list = Array.from({ length: count }, (_, i) => i);
    const pages = shardPages(list, size);
    t.deepEqual(pages.map((p) => p.length), lengths);
    t.deepEqual(pages.flat(), list, 'in order, nothing lost or doubled');
  });
}

test('shardPages refuses a page size that is not a positive integer', (t) => {
  for (const size of [0, -1, 1.5, Number.NaN]) t.throws(() => shardPages([1], size), { instanceOf: RangeError });
});

const ranges: Array<[firstIds: Array<string | undefined>, page: number, range: { from?: string; before?: string }]> = [
  [['a'], 0, {}],
  [['a', 'm'], 0, { before: 'm' }],
  [['a', 'm'], 1, { from: 'm' }],
  [['a', 'm', 't'], 1, { from: 'm', before: 't' }],
  [[undefined], 0, {}],
];
for (const [firstIds, page, range] of ranges) {
  test(`pageRange: page ${page} of first ids ${JSON.stringify(firstIds)} is ${JSON.stringify(range)}`, (t) => {
    t.deepEqual(pageRange(firstIds, page), range);
  });
}

test('every id, listed or not, falls in exactly one page range', (t) => {
  const firstIds = ['shardId-000000000000', 'shardId-000000001000', 'shardId-000000002000'];
  const all = firstIds.map((_, i) => pageRange(firstIds, i));
  for (const id of ['', 'a', 'shardId-000000000000', 'shardId-000000000999', 'shardId-000000001000', 'shardId-000000005000', 'z']) {
    t.is(all.filter((r) => inRange(id, r)).length, 1, id);
  }
});

test('inRange: from inclusive, before exclusive, no range is everything', (t) => {
  t.true(inRange('b', { from: 'b', before: 'c' }));
  t.false(inRange('c', { from: 'b', before: 'c' }));
  t.false(inRange('a', { from: 'b' }));
  t.true(inRange('a', { before: 'b' }));
  t.true(inRange('anything', undefined));
});
