import { createHash, type Hash } from 'node:crypto';
import { inRange, pageRange, shardPages } from '../state-store/shard-pages.js';
import { SHARD_CACHE_PAGE_SIZE, type CachedShard, type ShardState } from '../state-store/state-store.js';
import { isPending, type StreamSnapshot } from './shard-lineage.js';

/** What starts the digest of a stream of more than one page of shards: its page digests follow, joined by `.`. */
const PAGED = 'p:';

/**
 * A short digest of what a stream's snapshot says for assignment: every shard with its parents,
 * whether it is closed and where it starts, and which shards have state and which are finished.
 * Checkpoints are left out: they change all the time and the assignment does not depend on
 * them. Owners are in: the `'sticky'` and `'balanced'` assignments keep shards with them, so a
 * follower must see a handoff (owners change only then, not in a steady state). Each state's
 * `seek` and whether it is pending are in: a seek must reach every owner (it restarts the shard)
 * and changes what is readable. The leader publishes these digests in its heartbeat; a follower
 * whose own snapshot has the same digest does not need to read the stream's shard list and
 * states again.
 *
 * A stream of more than {@link SHARD_CACHE_PAGE_SIZE} shards gets one digest per page of its
 * shard cache (the page's shards, and the states of its range of ids, see `pageRange`), so that a
 * follower reads again only the pages that changed (a handoff changes one page's digest):
 * `p:<page 0>.<page 1>...`.
 */
export function snapshotDigest(snapshot: StreamSnapshot): string {
  if (snapshot.shards.length <= SHARD_CACHE_PAGE_SIZE) {
    const hash = createHash('sha256');
    hashPage(hash, snapshot.shards, [...snapshot.states.values()]);
    return hash.digest('base64url').slice(0, 22);
  }
  return PAGED + pageDigests(snapshot).join('.');
}

/**
 * The digest of each page of a snapshot of more than one page (see {@link snapshotDigest});
 * `undefined` for a digest that is not of pages.
 */
export function digestPages(digest: string | undefined): string[] | undefined {
  return digest?.startsWith(PAGED) ? digest.slice(PAGED.length).split('.') : undefined;
}

/** The digest of every page of `snapshot` (one page for up to {@link SHARD_CACHE_PAGE_SIZE} shards). */
export function pageDigests(snapshot: StreamSnapshot): string[] {
  const pages = shardPages(snapshot.shards);
  const firstIds = pages.map((p) => p[0]?.id);
  const states = [...snapshot.states.values()];
  return pages.map((page, i) => {
    const range = pageRange(firstIds, i);
    const hash = createHash('sha256');
    hashPage(hash, page, states.filter((s) => inRange(s.shardId, range)));
    return hash.digest('base64url').slice(0, 11);
  });
}

function hashPage(hash: Hash, shards: readonly CachedShard[], states: readonly ShardState[]): void {
  for (const shard of shards) {
    hash.update(`${shard.id}|${shard.closed ? 1 : 0}|${shard.parentShardId ?? ''}|${shard.adjacentParentShardId ?? ''}|${shard.startingSequenceNumber ?? ''}\n`);
  }
  hash.update('--\n');
  for (const state of [...states].sort((a, b) => (a.shardId < b.shardId ? -1 : a.shardId > b.shardId ? 1 : 0))) {
    hash.update(`${state.shardId}|${state.finished ? 1 : 0}|${state.seek ?? 0}|${isPending(state) ? 1 : 0}|${state.owner ?? ''}\n`);
  }
}
