import type { CachedShard } from '../state-store/state-store.js';
import { FULL_READ_EVERY } from './follower-cache.js';

/**
 * What the leader last read from or wrote to each stream's shard cache, so that its rounds
 * compare ListShards with that instead of reading the cache back every round: it is the one
 * that writes it. It still reads it every {@link FULL_READ_EVERY} rounds, so that a cache changed
 * by someone else (a client that briefly led too, a deleted item) is mended within a minute.
 * Forgotten when the lead is lost. One per run of the group sync.
 */
export class LeaderShardCache {
  private readonly known = new Map<string, { shards: CachedShard[]; rounds: number }>();

  /** The cache of `stream` as last read or written, when this round may use it (counting the round); else `undefined`. */
  recall(stream: string): CachedShard[] | undefined {
    const known = this.known.get(stream);
    if (known === undefined || known.rounds >= FULL_READ_EVERY) return undefined;
    known.rounds++;
    return known.shards;
  }

  /** The cache of `stream` was just read (`undefined`: there is none) or written as `shards`. */
  remember(stream: string, shards: CachedShard[] | undefined): void {
    if (shards === undefined) this.known.delete(stream);
    else this.known.set(stream, { shards, rounds: 0 });
  }

  /** Not leading any more (or a write failed): the next round as leader reads every cache. */
  forget(stream?: string): void {
    if (stream === undefined) this.known.clear();
    else this.known.delete(stream);
  }
}
