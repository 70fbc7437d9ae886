/**
 * What a client's heartbeat carries (its checkpoints, their seeks, the leader's digests, shard
 * stats) and what the group listing gives back: the values `StateStore.heartbeat`,
 * `StateStore.listGroup`, `StateStore.listClients` and `StateStore.rejoin` pass.
 */
import type { Position } from '../position.js';

/** Checkpoints in a heartbeat: stream → shard id → position. */
export type HeartbeatCheckpoints = Record<string, Record<string, Position>>;

/** The `seek` (`ShardState.seek`) each heartbeat checkpoint was made under: stream → shard id → seek (only those above 0). */
export type HeartbeatSeeks = Record<string, Record<string, number>>;

/**
 * What a shard's owner (or a client waiting to take it) is doing with it, as its heartbeat says:
 * - `reading`: reading and delivering;
 * - `taking`: assigned to this client, which waits for the holder to free it or to age out;
 * - `paused`: paused with `consumer.pause()` (still held, heartbeats and commits go on);
 * - `backpressure`: held back by backpressure, `polling.maxInFlight` records in flight;
 * - `checkpointRejected`: Kinesis refuses to start reading from the stored position (`error`);
 * - `cannotRead`: Kinesis calls fail (`error` has the code);
 * - `failingRecords`: the processing operators retry a record of this shard;
 * - `stalled`: behind the tip (or unable to read) and nothing delivered for `metrics.stallTimeout`.
 */
export type ShardActivity = 'reading' | 'taking' | 'paused' | 'backpressure' | 'checkpointRejected' | 'cannotRead' | 'failingRecords' | 'stalled';

/**
 * What a client publishes about one shard in its heartbeat: lag without any Kinesis call of its
 * own (everything comes from the reads the client makes anyway), and what it is doing. Every field
 * is optional, so that more can be added without breaking readers of older heartbeats.
 */
export interface ShardStats {
  /** `MillisBehindLatest` of the last read (a GetRecords page or a SubscribeToShard event), ms. */
  lagMs?: number;
  /** How old the last delivered record (its approximate arrival time) was when the heartbeat was written, ms. */
  lastRecordAgeMs?: number;
  /** Records delivered and not yet marked by `checkpoint()`. */
  inFlight?: number;
  /** What the client is doing with the shard; absent means `reading`. */
  state?: ShardActivity;
  /** With `checkpointRejected`, `cannotRead` and `stalled`: the code of the last error (the SDK's name for a Kinesis refusal). */
  error?: string;
  /** Records read per second since the shard was taken, smoothed (a minute's exponential average); two significant digits. */
  recordsPerSec?: number;
  /** Bytes read per second, smoothed as `recordsPerSec`; two significant digits. */
  bytesPerSec?: number;
  /** How long this client has held the shard, ms. */
  heldMs?: number;
}

/** The stats a heartbeat carries: stream → shard id → stats. */
export type HeartbeatStats = Record<string, Record<string, ShardStats>>;

/**
 * What `StateStore.heartbeat` writes next to the time: the client's checkpoints of the
 * shards it holds, and, from the leader, a digest of each stream's shard list and shard states.
 *
 * Carrying checkpoints in the heartbeat makes a commit of every held shard one write (the write
 * the heartbeat makes anyway) instead of one fenced write per shard; the checkpoint items are
 * brought up to date less often (`commit.itemInterval`), when a shard is released or finished,
 * and on close. Nothing is lost by that: a client that takes a shard over from a dead owner
 * starts from the owner's heartbeat checkpoint when that is further on than the item's, and the
 * leader writes a dead client's heartbeat checkpoints to the items it still owns before it
 * removes the client.
 */
export interface Heartbeat {
  /** The checkpoints of the shards this client holds (those with a position). */
  checkpoints: HeartbeatCheckpoints;
  /**
   * The `seek` of the shard state each checkpoint's reading started from, where it is above 0. A
   * taker uses a heartbeat checkpoint only when it was made under the stored `seek`: after a seek,
   * marks made before it never win. Absent or empty: removed from the item.
   */
  seeks?: HeartbeatSeeks;
  /**
   * Leader only: a digest of each stream's shard list and shard states, by stream. Followers read
   * a stream's list and states again only when its digest changed. Absent: removed from the item.
   */
  digests?: Record<string, string>;
  /**
   * What this client is doing with each shard it holds or waits to take ({@link ShardStats}).
   * Absent or empty: removed from the item.
   */
  stats?: HeartbeatStats;
}

/** An alive client as `StateStore.listGroup` gives it. */
export interface GroupMember {
  clientId: string;
  /**
   * The digests its last heartbeat carried (see {@link Heartbeat.digests}); `StateStore.listGroup`
   * gives them for the first client (the leader) only.
   */
  digests?: Record<string, string>;
  /** The shard stats its last heartbeat carried, when asked for ({@link ListGroupOptions.stats}). */
  stats?: HeartbeatStats;
}

/** What `StateStore.listGroup` is asked for besides the members and their digests. */
export interface ListGroupOptions {
  /** Each member's shard stats too (the `'balanced'` assignment weighs shards by them). Default false. */
  stats?: boolean;
  /**
   * The asking client's id. When it is the leader (the first alive id), its own digests are not
   * read back: it wrote them, and a leader reads every stream itself. Default: read them.
   */
  self?: string;
}

/** A registered client and its last heartbeat, as `StateStore.listClients` gives them. */
export interface ClientHeartbeat {
  clientId: string;
  lastUpdate: Date;
  /** The checkpoints its last heartbeat carried (stores with `StateStore.heartbeat`). */
  checkpoints?: HeartbeatCheckpoints;
  /** The `seek` each of those checkpoints was made under (see {@link Heartbeat.seeks}). */
  seeks?: HeartbeatSeeks;
  /** The shard stats its last heartbeat carried (stores with `StateStore.heartbeat`). */
  stats?: HeartbeatStats;
}
