/**
 * The {@link StateStore} interface and the values it passes: where the consumer group keeps its
 * shared state. The rules both stores follow are in the files beside it (`take-decision.ts`,
 * `shard-change.ts`, `heartbeat-checkpoints.ts`, `store-validation.ts`).
 */
import type { Observable, ObservableInput } from 'rxjs';
import type { KinesumerError } from '../errors.js';
import type { ClientHeartbeat, GroupMember, Heartbeat, ListGroupOptions } from './heartbeat.js';

export type { Position } from '../position.js';

export type {
  ClientHeartbeat,
  GroupMember,
  Heartbeat,
  HeartbeatCheckpoints,
  HeartbeatSeeks,
  HeartbeatStats,
  ListGroupOptions,
  ShardActivity,
  ShardStats,
} from './heartbeat.js';

/**
 * One shard in a stream's shard cache, as kinesumer stores it (`ID`, `Closed`), with the parent
 * ids alongside so resharding can be followed.
 */
export interface CachedShard {
  /** The shard id, such as `shardId-000000000001`. */
  id: string;
  /** Whether the shard is closed (it has an ending sequence number) after a split or merge. */
  closed: boolean;
  /** The parent shard id, when the shard came from a split or merge. */
  parentShardId?: string;
  /** The second parent, when the shard came from a merge. */
  adjacentParentShardId?: string;
  /**
   * The shard's first sequence number, from ListShards. A stream deleted and created again under
   * the same name has shards with the same ids but new starting sequence numbers, which is how
   * state left by the old stream is told apart.
   */
  startingSequenceNumber?: string;
}

/**
 * Everything the group keeps about one shard of a stream, in its checkpoint item: the checkpoint,
 * the client that holds the shard, and whether the shard was read to its end.
 */
export interface ShardState {
  shardId: string;
  /** The checkpoint: sequence number of the last processed record, if any was committed. */
  sequenceNumber?: string;
  /**
   * With a KPL aggregate only partly processed: the sub-sequence number of its last processed user
   * record. Absent when the record at `sequenceNumber` was processed whole.
   */
  subSequenceNumber?: number;
  /**
   * With `subSequenceNumber`: the checkpoint kinesumer (Go) reads, a record before the aggregate
   * whose records up to it were all processed (see `wholeRecordBefore`), so that kinesumer reads
   * the aggregate again instead of skipping the rest of it. In the DynamoDB item it is
   * `sequence_number`, and the aggregate's own sequence number is `aggregate_sequence_number`.
   * Absent in items of older rx-kinesumer versions, whose `sequence_number` is the aggregate's.
   */
  precedingSequenceNumber?: string;
  /** The client that holds the shard; absent when it is free (never taken, or released). */
  owner?: string;
  /** The shard is closed and every record of it was processed; nobody reads it again. */
  finished: boolean;
  /** `startingSequenceNumber` of the shard this state was written for (absent in kinesumer's items). */
  shardStart?: string;
  lastUpdate?: Date;
  /**
   * How many times the shard was sought ({@link StateStore.seekShard}); absent: never. Every
   * checkpoint write is fenced on it, so marks made before a seek cannot land after it, and its
   * owner restarts when it sees it grow.
   */
  seek?: number;
  /**
   * The encoded target of a seek (`encodeSeekTarget`) while no checkpoint was committed since:
   * where a taker starts. A state with one is *pending*: it does not count as evidence that the
   * shard's parents were read to their end.
   */
  seekTo?: string;
  /**
   * With `seekTo`: the parents sought by the same seek, with the `seek` each got. The shard is not
   * readable before each of them shows at least that (the seek writes parents first; a listing
   * that overlaps it must not start a child early).
   */
  seekAfter?: Record<string, number>;
}

/**
 * How many shards one page of a shard cache holds. A shard cache of more shards is kept in pages
 * of this many (in the order given: the leader gives them sorted by id), because a DynamoDB item
 * holds at most 400 KB: a thousand shard entries of Kinesis's ids and sequence numbers take about
 * 160 KB, 265 KB at most. Followers read only the pages whose digest changed
 * ({@link StateStore.getShardPage}), with the shard states of that page's range of ids.
 */
export const SHARD_CACHE_PAGE_SIZE = 1000;

/** A range of shard ids: `from` (inclusive) up to `before` (exclusive); an absent bound is open. */
export interface ShardIdRange {
  from?: string;
  before?: string;
}

/** What {@link StateStore.seekShard} writes. */
export interface ShardSeek {
  /** The encoded target (`encodeSeekTarget`), or `undefined` to record the shard finished instead (nothing to read: a closed shard sought to LATEST). */
  seekTo: string | undefined;
  /** See {@link ShardState.seekAfter}. */
  seekAfter?: Record<string, number>;
  /** `startingSequenceNumber` of the shard, recorded on its state. */
  shardStart?: string | undefined;
  now: Date;
}

/** A fenced checkpoint write: applied only if `clientId` still holds the shard. */
export interface ShardCommit {
  clientId: string;
  /** The new checkpoint; `undefined` only with `finished` for a shard that ended with no record read. */
  sequenceNumber: string | undefined;
  /** The last processed user record of a partly processed KPL aggregate at `sequenceNumber`. */
  subSequenceNumber?: number | undefined;
  /**
   * With `subSequenceNumber`: the checkpoint for kinesumer (Go), a record before the aggregate
   * (see {@link ShardState.precedingSequenceNumber}). Without it the item's `sequence_number` is
   * the aggregate's own, as older versions wrote it, and kinesumer would skip the rest of it.
   */
  precedingSequenceNumber?: string | undefined;
  /**
   * The checkpoint this client last read or wrote for the shard (`undefined`: none). The write
   * is applied only if the stored one is still exactly this, so a checkpoint never moves backwards
   * and a stale owner cannot overwrite a newer one.
   */
  previous: string | undefined;
  /** Also record the shard as finished (its last record is processed). */
  finished: boolean;
  now: Date;
  /**
   * The `seek` of the state this client's reading started from (absent: 0). The write is applied
   * only while the stored one is still this: a seek in between wins over marks made before it.
   */
  seek?: number | undefined;
}

/** What {@link StateStore.acquireShard} is asked. */
export interface AcquireRequest {
  clientId: string;
  /** A holder whose last heartbeat is not later than this is dead: its shard may be taken. */
  aliveSince: Date;
  /** `startingSequenceNumber` of the shard, recorded on its state. */
  shardStart: string | undefined;
  now: Date;
  /**
   * The caller's latest view showed the shard free (no state, or no owner). A store may then try
   * the conditional take at once, without reading the item first: one request instead of two.
   * The take's conditions are the same either way, so a view that is out of date costs a failed
   * write, never a wrong take.
   */
  seenFree?: boolean;
}

/** The last processed position in one shard. */
export interface Checkpoint {
  shardId: string;
  /** The sequence number of the last processed record, as Kinesis gives it (a decimal string). */
  sequenceNumber: string;
  /** When the checkpoint was written. */
  lastUpdate: Date;
}

/**
 * Where the consumer group keeps its shared state: client liveness, the leader's shard cache and
 * per-shard checkpoints. Equivalent to kinesumer's `StateStore`, with time passed in by the caller
 * (so virtual time reaches liveness arithmetic) and the application name passed to every call (so
 * one store can serve several apps).
 *
 * Methods return an `ObservableInput`: a Promise from an async function works, and so does an
 * Observable (the in-memory store answers synchronously, which marble tests need). Every call is
 * made lazily inside `defer`, and a failed call is retried by the caller with backoff.
 *
 * Implementations: {@link DynamoDBStateStore} (kinesumer's table layout) and
 * {@link MemoryStateStore} (one process, tests).
 */
export interface StateStore {
  /**
   * Problems that do not fail a call, such as malformed items that were skipped. The consumer
   * forwards them to its own `errors$`.
   */
  readonly errors$?: Observable<KinesumerError>;

  /** Checks the store can be used (for DynamoDB: the table exists). Fails with a typed error. */
  ready?(): ObservableInput<void>;

  /** Registers `clientId` as alive at `now`, or refreshes its heartbeat (an upsert). */
  pingClient(app: string, clientId: string, now: Date): ObservableInput<void>;
  /**
   * Optional: registers `clientId` as alive at `now` like {@link pingClient}, and stores what the
   * heartbeat carries: the client's checkpoints (replacing those of its previous heartbeat) and
   * the leader's digests. A store that has this method must also, in {@link acquireShard}, start
   * a shard taken from a client (a dead one, or the caller itself) after that client's heartbeat
   * checkpoint when it is further on than the stored one (see `takeoverPosition`), and, in
   * {@link pruneClients}, write a removed client's heartbeat checkpoints to the shards it still
   * holds first. The consumer then commits through heartbeats (one write for every shard) and
   * writes the checkpoint items less often; without it, every commit is a fenced write per shard.
   */
  heartbeat?(app: string, clientId: string, now: Date, heartbeat: Heartbeat): ObservableInput<void>;
  /**
   * Optional: the alive clients like {@link listAliveClients} (same order), the first (the
   * leader) with the digests of its last heartbeat. Followers use them to skip reading unchanged
   * shard lists and shard states. Only the leader's: reading every client's item would cost
   * reads that grow with every shard's heartbeat checkpoint.
   */
  listGroup?(app: string, since: Date, options?: ListGroupOptions): ObservableInput<GroupMember[]>;
  /** Removes `clientId` from the group at once. */
  deregisterClient(app: string, clientId: string): ObservableInput<void>;
  /** Ids of the clients whose last heartbeat is later than `since`, sorted ascending. */
  listAliveClients(app: string, since: Date): ObservableInput<string[]>;
  /** Deletes the clients whose last heartbeat is earlier than `before`; returns their ids. */
  pruneClients(app: string, before: Date): ObservableInput<string[]>;
  /**
   * Every registered client of `app`, alive or not, with its last heartbeat, sorted by id. For
   * tools that show the group (`kinesumer status`); the consumer itself does not call it.
   */
  listClients?(app: string): ObservableInput<ClientHeartbeat[]>;
  /**
   * Optional, with {@link heartbeat}: a run's first heartbeat and the read of the one before it,
   * in one call. Registers `clientId` as alive at `now` like {@link pingClient}, keeps the
   * checkpoints (and their `seeks`) its previous heartbeat carried, removes its digests and stats,
   * and returns that previous heartbeat (`undefined` when the client was not registered). A client
   * restarted under the same id carries those marks on until it takes their shards again. Without
   * it, the consumer reads them with {@link listClients} before its first heartbeat.
   */
  rejoin?(app: string, clientId: string, now: Date): ObservableInput<ClientHeartbeat | undefined>;

  /** The leader's cached shard list of `stream`, or `undefined` when there is none yet. */
  getShards(app: string, stream: string): ObservableInput<CachedShard[] | undefined>;
  /**
   * Replaces the cached shard list of `stream`. A list of more than {@link SHARD_CACHE_PAGE_SIZE}
   * shards is kept in pages of that many, in the order given.
   */
  updateShards(app: string, stream: string, shards: readonly CachedShard[]): ObservableInput<void>;
  /**
   * Optional: page `page` (from 0) of a shard cache of more than {@link SHARD_CACHE_PAGE_SIZE}
   * shards, the shards `page * SHARD_CACHE_PAGE_SIZE` onwards of the list as {@link updateShards}
   * got it; `undefined` when the cache fits one page, there is none, or it has no such page. One
   * page costs a read of one page, where {@link getShards} reads them all; followers use it to
   * read only the pages whose digest changed. A page is read on its own: pages read at different
   * times may come from different updates (the caller checks them against the leader's digest).
   */
  getShardPage?(app: string, stream: string, page: number): ObservableInput<CachedShard[] | undefined>;

  /** Checkpoints of the given shards of `stream` (all of the stream's when `shardIds` is absent). */
  getCheckpoints(app: string, stream: string, shardIds?: readonly string[]): ObservableInput<Checkpoint[]>;
  /**
   * Writes the checkpoints of several shards of one stream, in as few requests as possible,
   * without ownership checks (kinesumer's write). The consumer itself uses {@link commitShard};
   * this is for tools that seed or migrate checkpoints.
   */
  updateCheckpoints(app: string, stream: string, checkpoints: readonly Checkpoint[]): ObservableInput<void>;

  /**
   * The state of every shard of `stream` that has one (checkpoint, owner, finished), in shard-id
   * order; with `range`, only those whose id is in it (a store may return more: callers filter).
   */
  listShardStates(app: string, stream: string, range?: ShardIdRange): ObservableInput<ShardState[]>;
  /**
   * Takes the shard for `clientId` if it is free, already this client's, or held by a client whose
   * last heartbeat is not later than `aliveSince` (looked up now, not from the caller's possibly
   * older list: a client that joined a moment ago is alive), and not finished; records
   * `shardStart` on it. State written for an older shard of that id (a stream deleted and created
   * again: another shard start, or a checkpoint before `shardStart`) is not this shard's progress:
   * the take removes its checkpoint and finished mark (its owner still counts). Returns the shard's state after taking it, or `undefined` when another
   * live client holds it or it is finished. Must be atomic (a conditional write on the owner it
   * saw): of two clients racing for one shard, at most one gets it.
   */
  acquireShard(app: string, stream: string, shardId: string, request: AcquireRequest): ObservableInput<ShardState | undefined>;
  /**
   * Frees the shard if `clientId` holds it; does nothing otherwise. A shard freed with no
   * checkpoint gets its shard start (`shardStart`, when recorded) as its checkpoint, so that
   * kinesumer (Go), which reads every item it finds as a checkpoint, never finds one without a
   * sequence number: AFTER the starting sequence number is where rx-kinesumer starts such a shard
   * too (a shard with state and no checkpoint starts at TRIM_HORIZON). See `releaseChange`.
   */
  releaseShard(app: string, stream: string, shardId: string, clientId: string): ObservableInput<void>;
  /**
   * Writes a checkpoint if `commit.clientId` holds the shard and the stored checkpoint is
   * `commit.previous`. Returns `false` when that condition failed (the shard was lost): losing
   * that race is an outcome, not an error.
   */
  commitShard(app: string, stream: string, shardId: string, commit: ShardCommit): ObservableInput<boolean>;
  /** Deletes the state of these shards (finished shards whose children took over; stale state). */
  deleteShardStates(app: string, stream: string, shardIds: readonly string[]): ObservableInput<void>;
  /**
   * Optional (`seekGroup` needs it): sends the shard to `seek.seekTo`, whoever holds it, creating
   * its state when it has none: increments `seek`, removes the checkpoint and the finished mark,
   * and records `seekTo` and `seekAfter` (or, with no `seekTo`, records it finished instead).
   * The owner is kept: it notices the new `seek` and restarts, and its writes made before that are
   * refused. Unconditional: a seek wins over everything. Returns the state after the write.
   */
  seekShard?(app: string, stream: string, shardId: string, seek: ShardSeek): ObservableInput<ShardState>;
}
