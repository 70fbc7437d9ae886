/**
 * The state store on a DynamoDB table in kinesumer's layout (see `items.ts`), so that Go and
 * Node consumers can share a table and each other's checkpoints. The class checks its input and
 * hands each call to the file of the items it concerns; the rules both stores share (who may take
 * a shard, what a write changes) are in the parent folder.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Observable } from 'rxjs';
import type { KinesumerError } from '../../errors.js';
import { SHARD_CACHE_PAGE_SIZE, type AcquireRequest, type CachedShard, type Checkpoint, type ClientHeartbeat, type GroupMember, type Heartbeat, type ListGroupOptions, type ShardCommit, type ShardIdRange, type ShardSeek, type ShardState, type StateStore } from '../state-store.js';
import { validDate, validateCommit } from '../store-validation.js';
import { acquireShard } from './acquire-shard.js';
import type { BatchRetryOptions } from './batch-retry.js';
import { getCheckpoints, updateCheckpoints } from './checkpoint-items.js';
import { deregisterClient, listAliveClients, listClients, listGroup, pingClient, pruneClients, rejoin, writeHeartbeat } from './client-items.js';
import { dynamoDBClientOf } from './dynamodb-client.js';
import type { DynamoDBStateStoreOptions } from './dynamodb-options.js';
import { tableProblem } from './schema-problems.js';
import { getShardPage, getShards, updateShards } from './shard-cache-items.js';
import { commitShard, deleteShardStates, listShardStates, releaseShard, seekShard } from './shard-state-items.js';
import { TableClient } from './table-client.js';

/** Options of {@link DynamoDBStateStore}. */
export interface DynamoDBStateStoreConfig extends DynamoDBStateStoreOptions {
  /** How items left unprocessed by batch calls are retried. Defaults: 8 calls, 50 ms doubling to 2 s. */
  batchRetry?: BatchRetryOptions;
  /**
   * Items per Query page (`Limit`). Default: none, DynamoDB's 1 MB pages. Small values only make
   * sense in tests of pagination.
   */
  queryPageSize?: number;
}

/**
 * A {@link StateStore} on a DynamoDB table with kinesumer's schema: a table created for the Go
 * library works unchanged, and checkpoints written by one are read by the other. Create the table
 * with {@link createStateTable} or the AWS CLI.
 *
 * Every method returns a Promise and fails with a {@link StateStoreError} (`retriable` for
 * throttling, 5xx and network trouble) or a {@link TableNotFoundError}. Items that do not have
 * the expected shape are skipped and reported on {@link DynamoDBStateStore.errors$} as
 * {@link MalformedItemError}s.
 *
 * ## Example
 * ```ts
 * import { DynamoDBStateStore } from 'rx-kinesumer';
 * const store = new DynamoDBStateStore({ table: 'kinesumer-state-store', region: 'ap-northeast-2' });
 * store.errors$.subscribe((err) => console.warn(err.message));
 * await store.ready();
 * await store.pingClient('my-app', 'client-1', new Date());
 * ```
 */
export class DynamoDBStateStore implements StateStore {
  /** Malformed items that were skipped. */
  readonly errors$: Observable<KinesumerError>;
  /** The table name. */
  readonly table: string;
  /**
   * The DynamoDB client: the given one (a client of another AWS SDK copy is replaced by one of the
   * library's copy with its settings), or one built from region, endpoint and credentials.
   */
  readonly client: DynamoDBClient;

  /** The table's calls, named after the store method they serve. */
  private readonly db: TableClient;
  /** `<app>\n<stream>` of each shard cache whose last read here found no page items: an update that fits one item has none to delete. */
  private readonly unpaged = new Set<string>();

  /**
   * @param config The table and how to reach it. With `client`, region, endpoint and
   *   credentials are only used to describe where the table was looked for.
   * @throws {ConfigError} When `client` is not an AWS SDK v3 DynamoDB client.
   */
  constructor(config: DynamoDBStateStoreConfig) {
    this.table = config.table;
    this.client =
      config.client !== undefined
        ? dynamoDBClientOf(config.client, 'DynamoDBStateStore.client')
        : new DynamoDBClient({
            ...(config.region === undefined ? {} : { region: config.region }),
            ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
            ...(config.credentials === undefined ? {} : { credentials: config.credentials }),
          });
    this.db = new TableClient(this.client, this.table, config);
    this.errors$ = this.db.errors$;
  }

  /**
   * Checks that the table exists, is usable and has kinesumer's keys and index.
   * @throws TableNotFoundError naming the table, region and endpoint.
   * @throws StateStoreError saying what is wrong with the schema (not retriable), or that the
   *   table is still being created (retriable).
   */
  async ready(): Promise<void> {
    const table = await this.db.describe('ready');
    const problem = tableProblem(table ?? {}, `table "${this.table}" (${await this.db.describeLocation()})`);
    if (problem !== undefined) throw problem;
  }

  /** Upserts the client item with `last_update` = `now`. */
  async pingClient(app: string, clientId: string, now: Date): Promise<void> {
    await pingClient(this.db, app, clientId, validDate('pingClient', now));
  }

  /**
   * Upserts the client item with `last_update` = `now`, the heartbeat's `checkpoints` and (from
   * the leader) `digests`; an empty or absent one is removed from the item.
   */
  async heartbeat(app: string, clientId: string, now: Date, heartbeat: Heartbeat): Promise<void> {
    await writeHeartbeat(this.db, app, clientId, validDate('heartbeat', now), heartbeat);
  }

  /**
   * The alive clients with the digests of their last heartbeat, sorted by id: one consistent
   * Query that leaves the heartbeat checkpoints out.
   */
  async listGroup(app: string, since: Date, options?: ListGroupOptions): Promise<GroupMember[]> {
    return listGroup(this.db, app, validDate('listGroup', since), options);
  }

  /** Deletes the client item. */
  async deregisterClient(app: string, clientId: string): Promise<void> {
    await deregisterClient(this.db, app, clientId);
  }

  /**
   * Ids of the clients whose `last_update` is later than `since`, sorted ascending. Reads every
   * client item of the app (a filter would not save read capacity) and compares parsed dates.
   */
  async listAliveClients(app: string, since: Date): Promise<string[]> {
    return listAliveClients(this.db, app, validDate('listAliveClients', since));
  }

  /** Every client item of the app (a consistent Query, every page) with its heartbeat and heartbeat checkpoints, sorted by id. */
  async listClients(app: string): Promise<ClientHeartbeat[]> {
    return listClients(this.db, app);
  }

  /**
   * A run's first heartbeat: one UpdateItem that sets `last_update`, keeps the previous run's
   * `checkpoints` and `seeks`, removes `digests` and `stats`, and returns the item as it was.
   */
  async rejoin(app: string, clientId: string, now: Date): Promise<ClientHeartbeat | undefined> {
    return rejoin(this.db, app, clientId, validDate('rejoin', now));
  }

  /**
   * Deletes the clients whose `last_update` is earlier than `before` (found through kinesumer's
   * LSI) and returns their ids, sorted. A client that pings between the query and the delete
   * is deleted anyway, as in kinesumer; its next ping, an upsert, registers it again. What they
   * committed in heartbeats goes to the shards they still hold before they go.
   */
  async pruneClients(app: string, before: Date): Promise<string[]> {
    return pruneClients(this.db, app, validDate('pruneClients', before));
  }

  /**
   * The cached shard list of `stream` (one consistent Query for kinesumer's item and every page
   * of a paged cache), or `undefined` when there is none, the item is malformed, or the
   * pages did not match their digests twice in a row (then reported on `errors$`; the leader's
   * next update replaces it).
   */
  async getShards(app: string, stream: string): Promise<CachedShard[] | undefined> {
    const read = await getShards(this.db, app, stream);
    if (read.pages) this.unpaged.delete(`${app}\n${stream}`);
    else this.unpaged.add(`${app}\n${stream}`);
    return read.shards;
  }

  /** One page of a paged shard cache (a consistent GetItem), or `undefined`. */
  async getShardPage(app: string, stream: string, page: number): Promise<CachedShard[] | undefined> {
    return getShardPage(this.db, app, stream, page);
  }

  /**
   * Sets the `shards` attribute of the stream's shard-cache item (other attributes are kept), or,
   * for more than `SHARD_CACHE_PAGE_SIZE` shards, writes the pages whose entries changed and
   * deletes kinesumer's item (see the README's state-store table).
   */
  async updateShards(app: string, stream: string, shards: readonly CachedShard[]): Promise<void> {
    const key = `${app}\n${stream}`;
    await updateShards(this.db, app, stream, shards, this.unpaged.has(key));
    if (shards.length > SHARD_CACHE_PAGE_SIZE) this.unpaged.delete(key);
  }

  /**
   * Checkpoints of `shardIds` in that order (BatchGetItem, 100 keys a call, consistent), or
   * of every shard of the stream in shard-id order (Query). Shards without a checkpoint are
   * left out: items with no `sequence_number` (shard states of acquired shards that have none
   * yet) are neither returned nor reported as malformed.
   */
  async getCheckpoints(app: string, stream: string, shardIds?: readonly string[]): Promise<Checkpoint[]> {
    return getCheckpoints(this.db, app, stream, shardIds);
  }

  /**
   * Writes the checkpoints with BatchWriteItem, 25 a call. When one shard appears more than
   * once, the last one wins (a batch may not name an item twice). Each item is replaced whole,
   * as kinesumer does: the shard's `owner`, `finished` and `shard_start` are removed.
   * @throws StateStoreError (not retriable) for a sequence number that is not a decimal string.
   */
  async updateCheckpoints(app: string, stream: string, checkpoints: readonly Checkpoint[]): Promise<void> {
    await updateCheckpoints(this.db, app, stream, checkpoints);
  }

  /**
   * The state of every shard of `stream` that has an item (Query, consistent, every page), in
   * shard-id order; with `range`, a Query of that range of sort keys. Malformed items are
   * reported on `errors$` and left out.
   */
  async listShardStates(app: string, stream: string, range?: ShardIdRange): Promise<ShardState[]> {
    return listShardStates(this.db, app, stream, range);
  }

  /**
   * Takes the shard for `request.clientId`: reads its item (consistent) and, when it has a
   * holder, the holder's heartbeat; decides with the shared take rule whether it may be taken
   * (free, this client's, or held by a client not alive since `request.aliveSince`; not
   * finished), then writes `owner`, `last_update` and `shard_start` (when given) on condition
   * that `owner` and `finished` (and the checkpoint, when the take replaces or removes it) are
   * still what was read. Other attributes, the checkpoint among them, are kept.
   *
   * @returns The state after taking the shard, or `undefined` when it is held by a live client,
   *   finished, taken by another client in between (the condition failed), or malformed (then
   *   reported on `errors$`).
   */
  async acquireShard(app: string, stream: string, shardId: string, request: AcquireRequest): Promise<ShardState | undefined> {
    validDate('acquireShard', request.now);
    validDate('acquireShard', request.aliveSince);
    return acquireShard(this.db, app, stream, shardId, request);
  }

  /**
   * Removes `owner` from the shard's item if it is `clientId` (a conditional UpdateItem); when
   * another client holds the shard, nobody does, or there is no item, nothing happens.
   */
  async releaseShard(app: string, stream: string, shardId: string, clientId: string): Promise<void> {
    await releaseShard(this.db, app, stream, shardId, clientId);
  }

  /**
   * Writes `sequence_number` and `last_update` (and `finished` = true when `commit.finished`)
   * on condition that `owner` is `commit.clientId` and the stored `sequence_number` is
   * `commit.previous` (absent when that is `undefined`). Without a sequence number (a finished
   * shard with no record read) the stored one is left as it is.
   *
   * @returns `true` when written, `false` when the condition failed (the shard was lost, or the
   *   checkpoint was moved by someone else).
   * @throws StateStoreError (not retriable) for a sequence number that is not a decimal string,
   *   or none without `finished`.
   */
  async commitShard(app: string, stream: string, shardId: string, commit: ShardCommit): Promise<boolean> {
    validateCommit(stream, shardId, commit);
    validDate('commitShard', commit.now);
    return commitShard(this.db, app, stream, shardId, commit);
  }

  /**
   * Sends the shard to `seek`: one unconditional UpdateItem that adds 1 to `seek`, removes the
   * checkpoint and the finished mark and sets `seek_to` and `seek_after` (or, without a target,
   * sets `finished`), creating the item when there is none; the owner is kept.
   * @returns The state after the write.
   */
  async seekShard(app: string, stream: string, shardId: string, seek: ShardSeek): Promise<ShardState> {
    validDate('seekShard', seek.now);
    return seekShard(this.db, app, stream, shardId, seek);
  }

  /** Deletes the items of these shards with BatchWriteItem, 25 a call; missing items are no error. */
  async deleteShardStates(app: string, stream: string, shardIds: readonly string[]): Promise<void> {
    await deleteShardStates(this.db, app, stream, shardIds);
  }
}
