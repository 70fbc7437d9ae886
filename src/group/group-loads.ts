/**
 * The shard loads the `'balanced'` assignment weighs: what each shard's owner published of it in
 * its last heartbeat, read with the round's membership.
 */
import type { HeartbeatStats, ShardStats } from '../state-store/state-store.js';
import type { GroupLoads } from './assign-stream.js';
import type { ShardLoad } from './balanced-assignment.js';
import type { StreamSnapshot } from './shard-lineage.js';

/** What one shard may carry: Kinesis's write limits per shard, 1,000 records and 1 MiB a second. */
export const SHARD_CAPACITY = { recordsPerSec: 1000, bytesPerSec: 1024 * 1024 } as const;

/** A shard's load in shard capacities (the larger of its record and byte share), or `undefined` without rates. */
export function loadOf(stats: ShardStats | undefined): ShardLoad | undefined {
  if (stats?.recordsPerSec === undefined && stats?.bytesPerSec === undefined) return undefined;
  const weight = Math.max((stats.recordsPerSec ?? 0) / SHARD_CAPACITY.recordsPerSec, (stats.bytesPerSec ?? 0) / SHARD_CAPACITY.bytesPerSec);
  return stats.heldMs === undefined ? { weight } : { weight, heldMs: stats.heldMs };
}

/**
 * Each stream's shard loads, as the shards' owners (by the round's snapshots) published them; a
 * client that still publishes a shard it lost does not count.
 *
 * @param stats Each alive member's last heartbeat stats, by client id.
 * @param snapshots The round's snapshots, by stream.
 */
export function groupLoads(stats: ReadonlyMap<string, HeartbeatStats>, snapshots: Record<string, StreamSnapshot>): GroupLoads {
  const out = new Map<string, Map<string, ShardLoad>>();
  for (const [stream, snapshot] of Object.entries(snapshots)) {
    const loads = new Map<string, ShardLoad>();
    for (const [shardId, state] of snapshot.states) {
      const load = state.owner === undefined ? undefined : loadOf(stats.get(state.owner)?.[stream]?.[shardId]);
      if (load !== undefined) loads.set(shardId, load);
    }
    out.set(stream, loads);
  }
  return out;
}
