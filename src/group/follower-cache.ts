import type { StreamReading } from './group-view.js';
import type { StreamSnapshot } from './shard-lineage.js';
import { snapshotDigest } from './snapshot-digest.js';

/**
 * A follower whose snapshot of a stream matches the leader's digest skips reading the stream's
 * shard list and states, but still reads them every this many rounds.
 */
export const FULL_READ_EVERY = 12;

/**
 * A follower's last snapshot of each stream, so that it reads a stream only when the leader's
 * digest says it changed (see {@link snapshotDigest}), or every {@link FULL_READ_EVERY} rounds
 * anyway, or when a round must read everything. One per run of the group sync.
 */
export class FollowerCache {
  // Per stream: the snapshot last read, its digest, and how many rounds have used it since.
  private readonly known = new Map<string, { digest: string; snapshot: StreamSnapshot; rounds: number }>();

  /**
   * The snapshot a follower's round may use instead of reading `stream` (counting the round), or
   * `undefined` when it must read.
   *
   * @param leaderDigest The leader's digest of the stream, from its heartbeat.
   * @param full The round reads every stream whatever the digests say (a trigger made it).
   */
  reuse(stream: string, leaderDigest: string | undefined, full: boolean): StreamSnapshot | undefined {
    const cached = this.known.get(stream);
    if (full || cached === undefined || leaderDigest !== cached.digest || cached.rounds >= FULL_READ_EVERY) return undefined;
    cached.rounds++;
    return cached.snapshot;
  }

  /** Keeps what a round read of `stream` (as leader or follower); forgets the stream when it could not be read. */
  remember(stream: string, reading: StreamReading): void {
    if (reading) this.known.set(stream, { digest: snapshotDigest(reading), snapshot: reading, rounds: 0 });
    else this.known.delete(stream);
  }
}
