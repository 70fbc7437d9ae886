/**
 * The pages of a shard cache (see {@link SHARD_CACHE_PAGE_SIZE}) and the ranges of shard ids
 * they cover: the rules the stores keep and the group's per-page digests follow.
 */
import { SHARD_CACHE_PAGE_SIZE, type ShardIdRange } from './state-store.js';

/**
 * `shards` cut into pages of `size`, in their order; an empty list is one empty page.
 *
 * ## Example
 * ```ts
 * import { shardPages } from './shard-pages.js';
 * shardPages(['a', 'b', 'c'], 2); // [['a', 'b'], ['c']]
 * ```
 */
export function shardPages<T>(shards: readonly T[], size = SHARD_CACHE_PAGE_SIZE): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`page size ${size} is not a positive integer`);
  const pages: T[][] = [];
  for (let i = 0; i < shards.length; i += size) pages.push(shards.slice(i, i + size));
  return pages.length === 0 ? [[]] : pages;
}

/** Whether `id` is in `range` (`from` inclusive, `before` exclusive, compared as strings). */
export function inRange(id: string, range: ShardIdRange | undefined): boolean {
  if (range === undefined) return true;
  return (range.from === undefined || id >= range.from) && (range.before === undefined || id < range.before);
}

/**
 * The range of shard ids page `page` stands for, given the first id of every page (`undefined`
 * for an empty page): from its own first id up to the next page's, the first page open below and
 * the last open above, so that every id, listed or not, belongs to exactly one page.
 */
export function pageRange(firstIds: readonly (string | undefined)[], page: number): ShardIdRange {
  const range: ShardIdRange = {};
  const from = page === 0 ? undefined : firstIds[page];
  const before = page + 1 < firstIds.length ? firstIds[page + 1] : undefined;
  if (from !== undefined) range.from = from;
  if (before !== undefined) range.before = before;
  return range;
}
