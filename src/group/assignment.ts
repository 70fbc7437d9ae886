/**
 * The shards of one stream that client `index` of `clientCount` takes: kinesumer's split of the
 * sorted shard list, `shards[round(i*r) : round((i+1)*r)]` with `r = shards / clients`. Every shard
 * goes to exactly one client; with more clients than shards some clients get none.
 *
 * @param sortedShardIds The stream's shard ids, sorted ascending (every client must sort the same way).
 * @param clientCount Number of alive clients.
 * @param index This client's position among the sorted alive client ids; -1 when it is not among them.
 * @returns The slice of shard ids this client owns.
 */
export function assignShards(sortedShardIds: readonly string[], clientCount: number, index: number): string[] {
  if (index < 0 || index >= clientCount || clientCount <= 0) return [];
  const r = sortedShardIds.length / clientCount;
  // Go's math.Round rounds half away from zero; Math.round rounds half up: same for r >= 0.
  return sortedShardIds.slice(Math.round(index * r), Math.round((index + 1) * r));
}
