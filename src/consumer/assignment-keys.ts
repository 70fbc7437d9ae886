import type { Assignment } from '../group/group-sync.js';

/** `assignment` restricted to `streams` (a stream dropped by `refresh()` is not read any more). */
export function onlyStreams(assignment: Assignment, streams: readonly string[]): Assignment {
  const out: Assignment = {};
  for (const stream of streams) if (assignment[stream]) out[stream] = assignment[stream]!;
  return out;
}

/** One key per assigned shard, `stream/shardId`: what the shard sessions are keyed by. */
export function assignmentKeys(assignment: Assignment): string[] {
  const keys: string[] = [];
  for (const [stream, shardIds] of Object.entries(assignment)) for (const id of shardIds) keys.push(`${stream}/${id}`);
  return keys;
}

/** The stream and shard id of a key of {@link assignmentKeys}. */
export function splitKey(key: string): [string, string] {
  const slash = key.indexOf('/');
  return [key.slice(0, slash), key.slice(slash + 1)];
}

/** Whether two assignments name the same shards in the same order. */
export function sameAssignment(a: Assignment, b: Assignment): boolean {
  const ak = Object.keys(a);
  if (ak.length !== Object.keys(b).length) return false;
  return ak.every((k) => {
    const x = a[k]!;
    const y = b[k];
    return y !== undefined && x.length === y.length && x.every((id, i) => id === y[i]);
  });
}

/** `assignment` with `shardId` of `stream` added (`present`) or removed; shard ids stay sorted, streams in order. */
export function withShard(assignment: Assignment, stream: string, shardId: string, present: boolean): Assignment {
  const ids = (assignment[stream] ?? []).filter((id) => id !== shardId);
  if (present) ids.push(shardId);
  ids.sort();
  const out: Assignment = {};
  for (const [name, list] of Object.entries(assignment)) {
    if (name !== stream) out[name] = list;
    else if (ids.length > 0) out[name] = ids;
  }
  if (assignment[stream] === undefined && ids.length > 0) out[stream] = ids;
  return out;
}
