import { createHash } from 'node:crypto';
import { isPending, type StreamSnapshot } from './shard-lineage.js';

/**
 * A short digest of what a stream's snapshot says for assignment: every shard with its parents,
 * whether it is closed and where it starts, and which shards have state and which are finished.
 * Checkpoints are left out: they change all the time and the assignment does not depend on
 * them. Owners are in: the `'sticky'` and `'balanced'` assignments keep shards with them, so a
 * follower must see a handoff (owners change only then, not in a steady state). Each state's `seek` and whether it is pending are in: a seek must reach every
 * owner (it restarts the shard) and changes what is readable. The leader publishes these digests in its heartbeat; a follower whose own
 * snapshot has the same digest does not need to read the stream's shard list and states again.
 */
export function snapshotDigest(snapshot: StreamSnapshot): string {
  const hash = createHash('sha256');
  for (const shard of snapshot.shards) {
    hash.update(`${shard.id}|${shard.closed ? 1 : 0}|${shard.parentShardId ?? ''}|${shard.adjacentParentShardId ?? ''}|${shard.startingSequenceNumber ?? ''}\n`);
  }
  hash.update('--\n');
  for (const id of [...snapshot.states.keys()].sort()) {
    const state = snapshot.states.get(id)!;
    hash.update(`${id}|${state.finished ? 1 : 0}|${state.seek ?? 0}|${isPending(state) ? 1 : 0}|${state.owner ?? ''}\n`);
  }
  return hash.digest('base64url').slice(0, 22);
}
