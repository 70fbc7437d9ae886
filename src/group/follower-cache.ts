import type { StreamReading } from './group-view.js';
import type { StreamSnapshot } from './shard-lineage.js';
import { digestPages, snapshotDigest } from './snapshot-digest.js';

/**
 * A follower whose snapshot of a stream matches the leader's digest skips reading the stream's
 * shard list and states, but still reads them every this many rounds (a stream of many pages:
 * one page of them, in turn).
 */
export const FULL_READ_EVERY = 12;

/** What a follower's round does about one stream (see {@link FollowerCache.plan}). */
export type FollowerPlan =
  | { kind: 'reuse'; snapshot: StreamSnapshot }
  | { kind: 'read' }
  | { kind: 'pages'; snapshot: StreamSnapshot; pages: number[]; leaderDigest: string };

/**
 * A follower's last snapshot of each stream, so that it reads a stream only when the leader's
 * digest says it changed (see {@link snapshotDigest}), or every {@link FULL_READ_EVERY} rounds
 * anyway (one such stream a round), or when a round must read everything. For a stream of many
 * pages it reads only the pages whose digest changed. One per run of the group sync.
 */
export class FollowerCache {
  // Per stream: the snapshot last read, its digest, how many rounds have used it since, and which page to read again next.
  private readonly known = new Map<string, { digest: string; snapshot: StreamSnapshot; rounds: number; turn: number }>();
  // Whether this round already read a stream (or page) only because it was due: one such read a
  // round, so that a client of 100 streams does not read one of them in most rounds.
  private refreshed = false;

  /** Starts a round: it may make one read that only the count of rounds asks for. */
  startRound(): void {
    this.refreshed = false;
  }

  /** Whether a stream due by its count of rounds may be read now (one a round); counts it. */
  private mayRefresh(): boolean {
    if (this.refreshed) return false;
    this.refreshed = true;
    return true;
  }

  /**
   * The snapshot a follower's round may use instead of reading `stream` (counting the round), or
   * `undefined` when it must read.
   *
   * @param leaderDigest The leader's digest of the stream, from its heartbeat.
   * @param full The round reads every stream whatever the digests say (a trigger made it).
   */
  reuse(stream: string, leaderDigest: string | undefined, full: boolean): StreamSnapshot | undefined {
    const plan = this.plan(stream, leaderDigest, full, false);
    return plan.kind === 'reuse' ? plan.snapshot : undefined;
  }

  /**
   * What the round does about `stream`: reuse the snapshot (counting the round), read it whole,
   * or, with `paged` (the store reads pages) and a leader digest of pages, read only the pages
   * whose digest changed, or one page in turn every {@link FULL_READ_EVERY} rounds.
   */
  plan(stream: string, leaderDigest: string | undefined, full: boolean, paged: boolean): FollowerPlan {
    const cached = this.known.get(stream);
    if (full || cached === undefined || leaderDigest === undefined) return { kind: 'read' };
    const leaderPages = paged ? digestPages(leaderDigest) : undefined;
    const ownPages = digestPages(cached.digest);
    if (leaderPages === undefined || ownPages === undefined) {
      if (leaderDigest !== cached.digest || (cached.rounds >= FULL_READ_EVERY && this.mayRefresh())) return { kind: 'read' };
      cached.rounds++;
      return { kind: 'reuse', snapshot: cached.snapshot };
    }
    const changed = leaderPages.flatMap((d, i) => (d === ownPages[i] ? [] : [i]));
    if (changed.length === 0 && (cached.rounds < FULL_READ_EVERY || !this.mayRefresh())) {
      cached.rounds++;
      return { kind: 'reuse', snapshot: cached.snapshot };
    }
    if (changed.length === 0) changed.push(cached.turn++ % leaderPages.length);
    return { kind: 'pages', snapshot: cached.snapshot, pages: changed, leaderDigest };
  }

  /** Keeps what a round read of `stream` (as leader or follower); forgets the stream when it could not be read. */
  remember(stream: string, reading: StreamReading): void {
    if (reading) this.known.set(stream, { digest: snapshotDigest(reading), snapshot: reading, rounds: 0, turn: this.known.get(stream)?.turn ?? 0 });
    else this.known.delete(stream);
  }
}
