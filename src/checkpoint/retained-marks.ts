/**
 * Marks of shards that left this client before their checkpoint item caught up with them, kept
 * in this client's heartbeats until the shard is taken again.
 *
 * With heartbeat commits the items lag the marks by up to `commit.itemInterval`; the marks are
 * committed only as long as a heartbeat carries them, because every heartbeat replaces the one
 * before. A client that steps down while the store is out of reach (its release cannot be
 * written), whose fenced write reported the shard lost, or that restarts under the same id would
 * otherwise write a heartbeat without them, and the next take (its own, after the outage or the
 * restart) would start from the old item. A take reads the holder's heartbeat, so as long as the
 * shard's stored owner is this client, carrying the marks here is what makes its taker start
 * after them.
 */
import { isAfterPosition, type Position } from '../position.js';
import type { ClientHeartbeat, ShardState } from '../state-store/state-store.js';
import type { ShardProgress } from './shard-progress.js';

/** A mark kept for a shard this client no longer tracks. */
export interface RetainedMark {
  stream: string;
  shardId: string;
  position: Position;
  /** The `seek` the marks were made under. */
  seek: number;
}

/** The retained marks of one client, by `stream/shardId`. */
export class RetainedMarks {
  private readonly marks = new Map<string, RetainedMark>();

  /** Keeps `progress`'s marks when its item does not hold them (as far as this client knows). */
  retain(progress: ShardProgress): void {
    const position = progress.unwrittenPosition;
    if (position === undefined) return;
    this.keep({ stream: progress.stream, shardId: progress.shardId, position, seek: progress.seek });
  }

  /**
   * The marks of this client's previous run (same id, the heartbeat found in the store when it
   * starts): kept until its shards are taken again, or others hold them.
   */
  inherit(heartbeat: Pick<ClientHeartbeat, 'checkpoints' | 'seeks'>): void {
    for (const [stream, shards] of Object.entries(heartbeat.checkpoints ?? {})) {
      for (const [shardId, position] of Object.entries(shards)) {
        this.keep({ stream, shardId, position, seek: heartbeat.seeks?.[stream]?.[shardId] ?? 0 });
      }
    }
  }

  /** The shard is tracked again (taken: the take started after these marks when they were further on). */
  taken(stream: string, shardId: string): void {
    this.marks.delete(`${stream}/${shardId}`);
  }

  /**
   * Forgets the marks of shards that a sync round shows held by another client or by nobody, or
   * sought since: no take reads this client's heartbeat for them any more.
   */
  pruneBy(stream: string, states: ReadonlyMap<string, ShardState>, clientId: string): void {
    for (const [key, mark] of this.marks) {
      if (mark.stream !== stream) continue;
      const state = states.get(mark.shardId);
      if (state?.owner !== clientId || (state.seek ?? 0) !== mark.seek) this.marks.delete(key);
    }
  }

  /** The retained mark of a shard, if any. */
  get(stream: string, shardId: string): RetainedMark | undefined {
    return this.marks.get(`${stream}/${shardId}`);
  }

  /** Every retained mark. */
  values(): IterableIterator<RetainedMark> {
    return this.marks.values();
  }

  get size(): number {
    return this.marks.size;
  }

  private keep(mark: RetainedMark): void {
    const key = `${mark.stream}/${mark.shardId}`;
    const before = this.marks.get(key);
    if (before !== undefined && before.seek === mark.seek) {
      const { sequenceNumber, subSequenceNumber } = mark.position;
      if (!isAfterPosition(sequenceNumber, subSequenceNumber, before.position.sequenceNumber, before.position.subSequenceNumber)) return;
    }
    this.marks.set(key, mark);
  }
}
