import type { Observable, ObservableInput } from 'rxjs';
import type { KinesumerError } from '../errors.js';

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
  /** Removes `clientId` from the group at once. */
  deregisterClient(app: string, clientId: string): ObservableInput<void>;
  /** Ids of the clients whose last heartbeat is later than `since`, sorted ascending. */
  listAliveClients(app: string, since: Date): ObservableInput<string[]>;
  /** Deletes the clients whose last heartbeat is earlier than `before`; returns their ids. */
  pruneClients(app: string, before: Date): ObservableInput<string[]>;

  /** The leader's cached shard list of `stream`, or `undefined` when there is none yet. */
  getShards(app: string, stream: string): ObservableInput<CachedShard[] | undefined>;
  /** Replaces the cached shard list of `stream`. */
  updateShards(app: string, stream: string, shards: readonly CachedShard[]): ObservableInput<void>;

  /** Checkpoints of the given shards of `stream` (all of the stream's when `shardIds` is absent). */
  getCheckpoints(app: string, stream: string, shardIds?: readonly string[]): ObservableInput<Checkpoint[]>;
  /** Writes the checkpoints of several shards of one stream, in as few requests as possible. */
  updateCheckpoints(app: string, stream: string, checkpoints: readonly Checkpoint[]): ObservableInput<void>;
}
