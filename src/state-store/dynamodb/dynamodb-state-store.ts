/**
 * The state store on a DynamoDB table in kinesumer's layout (see `items.ts`), so that Go and
 * Node consumers can share a table and each other's checkpoints.
 */
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type KeysAndAttributes,
  type QueryCommandInput,
  type TableDescription,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { Subject, type Observable } from 'rxjs';
import type * as t from 'io-ts';
import type { DynamoDBStateStoreOptions } from './dynamodb-options.js';
import { MalformedItemError, StateStoreError, describeCause, type KinesumerError } from '../../errors.js';
import { chunk, retryUnprocessed, type BatchRetryOptions } from './batch-retry.js';
import { ownProgress } from '../../group/shard-lineage.js';
import { CLIENT_LAST_UPDATE_INDEX } from './create-table.js';
import { describeLocation, toStateStoreError } from './dynamodb-errors.js';
import { decodePosition, encodePosition, type Position } from '../../position.js';
import { takeoverPosition, type GroupMember, type Heartbeat, type HeartbeatCheckpoints } from '../heartbeat-checkpoints.js';
import {
  CheckpointItem,
  ClientExtras,
  ClientItem,
  SequenceNumber,
  ShardCacheItem,
  ShardStateItem,
  checkpointKey,
  clientKey,
  decodeItem,
  hasCheckpoint,
  shardCacheKey,
} from './items.js';
import type { AcquireRequest, CachedShard, Checkpoint, ClientHeartbeat, ShardCommit, ShardState, StateStore } from '../state-store.js';

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

/** DynamoDB allows 25 write requests per BatchWriteItem and 100 keys per BatchGetItem. */
const WRITE_BATCH = 25;
const READ_BATCH = 100;

/**
 * How far the LSI range condition of {@link DynamoDBStateStore.pruneClients} reaches past the
 * cutoff. `last_update` is compared as a string there, and Go writes it with a variable number of
 * fraction digits (`...:00Z` sorts after `...:00.5Z`) and, in a local time zone, with an offset of
 * up to ±14 hours. Candidates are confirmed with parsed dates, so the margin costs only reads.
 */
const PRUNE_QUERY_MARGIN_MS = 14 * 3_600_000 + 1_000;

type Item = Record<string, AttributeValue>;

/** A condition expression with the names and values it uses. */
interface Condition {
  expression: string;
  names: Record<string, string>;
  values: Record<string, unknown>;
}

/** Not (yet) read to its end. */
const NOT_FINISHED = '(attribute_not_exists(#finished) OR #finished = :false)';

/** Nobody holds the shard and it is not finished; an absent item satisfies it too. */
const FREE: Condition = {
  expression: `attribute_not_exists(#owner) AND ${NOT_FINISHED}`,
  names: { '#owner': 'owner', '#finished': 'finished' },
  values: { ':false': false },
};

/**
 * {@link FREE}, and, when the shard's start is known, no checkpoint unless it was written for
 * this shard: one of an older shard of that id must be removed, which needs a read first.
 */
function freeFor(shardStart: string | undefined): Condition {
  if (shardStart === undefined) return FREE;
  return {
    expression: `${FREE.expression} AND (attribute_not_exists(#sequence_number) OR #shard_start = :start)`,
    names: { ...FREE.names, '#sequence_number': 'sequence_number', '#shard_start': 'shard_start' },
    values: { ...FREE.values, ':start': shardStart },
  };
}

/** {@link DynamoDBStateStore}'s conditional take found the item other than expected. */
const CONDITION_FAILED = Symbol('condition failed');

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
  /** The DynamoDB client, given or built from region, endpoint and credentials. */
  readonly client: DynamoDBClient;

  private readonly errors = new Subject<KinesumerError>();
  private readonly config: DynamoDBStateStoreConfig;
  private location: Promise<string> | undefined;

  /**
   * @param config The table and how to reach it. With `client`, region, endpoint and
   *   credentials are only used to describe where the table was looked for.
   */
  constructor(config: DynamoDBStateStoreConfig) {
    this.config = config;
    this.table = config.table;
    this.client =
      config.client ??
      new DynamoDBClient({
        ...(config.region === undefined ? {} : { region: config.region }),
        ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
        ...(config.credentials === undefined ? {} : { credentials: config.credentials }),
      });
    this.errors$ = this.errors.asObservable();
  }

  /**
   * Checks that the table exists, is usable and has kinesumer's keys and index.
   * @throws TableNotFoundError naming the table, region and endpoint.
   * @throws StateStoreError saying what is wrong with the schema (not retriable), or that the
   *   table is still being created (retriable).
   */
  async ready(): Promise<void> {
    const out = await this.call('ready', () => this.client.send(new DescribeTableCommand({ TableName: this.table })));
    const table = out.Table;
    const where = `table "${this.table}" (${await this.describeLocation()})`;
    if (table?.TableStatus === 'CREATING') {
      throw new StateStoreError('ready', `${where} is still CREATING`, { retriable: true });
    }
    if (table?.TableStatus !== undefined && table.TableStatus !== 'ACTIVE' && table.TableStatus !== 'UPDATING') {
      throw new StateStoreError('ready', `${where} is ${table.TableStatus}, not ACTIVE`);
    }
    const problems = schemaProblems(table ?? {});
    if (problems.length > 0) {
      throw new StateStoreError(
        'ready',
        `${where} does not have kinesumer's state-store schema: ${problems.join('; ')}. Expected keys pk (HASH, S) ` +
          `and sk (RANGE, S) and the local secondary index "${CLIENT_LAST_UPDATE_INDEX}" (pk HASH, last_update ` +
          'RANGE, S); see stateTableDefinition().',
      );
    }
  }

  /** Upserts the client item with `last_update` = `now`. */
  async pingClient(app: string, clientId: string, now: Date): Promise<void> {
    const lastUpdate = validDate('pingClient', now).toISOString();
    await this.call('pingClient', () =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: marshall({ pk: clientKey(app), sk: clientId }),
          UpdateExpression: 'SET #last_update = :last_update',
          ExpressionAttributeNames: { '#last_update': 'last_update' },
          ExpressionAttributeValues: marshall({ ':last_update': lastUpdate }),
        }),
      ),
    );
  }

  /**
   * Upserts the client item with `last_update` = `now`, the heartbeat's `checkpoints` and (from
   * the leader) `digests`; an empty or absent one is removed from the item.
   */
  async heartbeat(app: string, clientId: string, now: Date, heartbeat: Heartbeat): Promise<void> {
    const lastUpdate = validDate('heartbeat', now).toISOString();
    const checkpoints: Record<string, Record<string, string>> = {};
    for (const [stream, shards] of Object.entries(heartbeat.checkpoints)) {
      for (const [shardId, position] of Object.entries(shards)) {
        validateSequenceNumber('heartbeat', stream, shardId, position.sequenceNumber);
        (checkpoints[stream] ??= {})[shardId] = encodePosition(position);
      }
    }
    const names: Record<string, string> = { '#last_update': 'last_update', '#checkpoints': 'checkpoints', '#digests': 'digests' };
    const values: Record<string, unknown> = { ':last_update': lastUpdate };
    const set = ['#last_update = :last_update'];
    const remove: string[] = [];
    if (Object.keys(checkpoints).length > 0) {
      values[':checkpoints'] = checkpoints;
      set.push('#checkpoints = :checkpoints');
    } else {
      remove.push('#checkpoints');
    }
    if (heartbeat.digests !== undefined && Object.keys(heartbeat.digests).length > 0) {
      values[':digests'] = heartbeat.digests;
      set.push('#digests = :digests');
    } else {
      remove.push('#digests');
    }
    await this.call('heartbeat', () =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: marshall({ pk: clientKey(app), sk: clientId }),
          UpdateExpression: `SET ${set.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: marshall(values),
        }),
      ),
    );
  }

  /**
   * The alive clients with the digests of their last heartbeat, sorted by id: one consistent
   * Query that leaves the heartbeat checkpoints out.
   */
  async listGroup(app: string, since: Date): Promise<GroupMember[]> {
    const sinceMs = validDate('listGroup', since).getTime();
    const items = await this.queryAll('listGroup', {
      KeyConditionExpression: '#pk = :pk',
      ProjectionExpression: '#pk, #sk, #last_update, #digests',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk', '#last_update': 'last_update', '#digests': 'digests' },
      ExpressionAttributeValues: marshall({ ':pk': clientKey(app) }),
      ConsistentRead: true,
    });
    const members: GroupMember[] = [];
    for (const item of items) {
      const [client] = this.decodeAll(ClientItem, [item]);
      if (client === undefined || client.last_update.getTime() <= sinceMs) continue;
      const digests = this.extrasOf(item)?.digests;
      members.push(digests === undefined ? { clientId: client.sk } : { clientId: client.sk, digests });
    }
    return members.sort((a, b) => compareStrings(a.clientId, b.clientId));
  }

  /** Deletes the client item. */
  async deregisterClient(app: string, clientId: string): Promise<void> {
    await this.call('deregisterClient', () =>
      this.client.send(new DeleteItemCommand({ TableName: this.table, Key: marshall({ pk: clientKey(app), sk: clientId }) })),
    );
  }

  /**
   * Ids of the clients whose `last_update` is later than `since`, sorted ascending. Reads every
   * client item of the app (a filter would not save read capacity) and compares parsed dates.
   */
  async listAliveClients(app: string, since: Date): Promise<string[]> {
    const sinceMs = validDate('listAliveClients', since).getTime();
    const items = await this.queryAll('listAliveClients', {
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: marshall({ ':pk': clientKey(app) }),
      ConsistentRead: true,
    });
    return this.decodeAll(ClientItem, items)
      .filter((client) => client.last_update.getTime() > sinceMs)
      .map((client) => client.sk)
      .sort(compareStrings);
  }

  /** Every client item of the app (a consistent Query, every page) with its heartbeat and heartbeat checkpoints, sorted by id. */
  async listClients(app: string): Promise<ClientHeartbeat[]> {
    const items = await this.queryAll('listClients', {
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: marshall({ ':pk': clientKey(app) }),
      ConsistentRead: true,
    });
    const clients: ClientHeartbeat[] = [];
    for (const item of items) {
      const [client] = this.decodeAll(ClientItem, [item]);
      if (client === undefined) continue;
      const checkpoints = this.checkpointsOf(item);
      clients.push(checkpoints === undefined ? { clientId: client.sk, lastUpdate: client.last_update } : { clientId: client.sk, lastUpdate: client.last_update, checkpoints });
    }
    return clients.sort((a, b) => compareStrings(a.clientId, b.clientId));
  }

  /**
   * Deletes the clients whose `last_update` is earlier than `before` (found through kinesumer's
   * LSI) and returns their ids, sorted. A client that pings between the query and the delete
   * is deleted anyway, as in kinesumer; its next ping, an upsert, registers it again.
   */
  async pruneClients(app: string, before: Date): Promise<string[]> {
    const beforeMs = validDate('pruneClients', before).getTime();
    const bound = new Date(Math.min(beforeMs + PRUNE_QUERY_MARGIN_MS, 8.64e15)).toISOString();
    const items = await this.queryAll('pruneClients', {
      IndexName: CLIENT_LAST_UPDATE_INDEX,
      KeyConditionExpression: 'pk = :pk AND #last_update < :bound',
      ExpressionAttributeNames: { '#last_update': 'last_update' },
      ExpressionAttributeValues: marshall({ ':pk': clientKey(app), ':bound': bound }),
      ConsistentRead: true,
    });
    const ids = this.decodeAll(ClientItem, items)
      .filter((client) => client.last_update.getTime() < beforeMs)
      .map((client) => client.sk)
      .sort(compareStrings);
    // What they committed in heartbeats goes to the shards they still hold before they go.
    if (ids.length > 0) {
      const full = await this.getAll('pruneClients', ids.map((id) => marshall({ pk: clientKey(app), sk: id })));
      for (const item of full) {
        const checkpoints = this.checkpointsOf(item);
        const id = item['sk']?.S;
        if (checkpoints !== undefined && id !== undefined) await this.writeHeartbeatCheckpoints(app, id, checkpoints);
      }
    }
    const deletes = ids.map((id): WriteRequest => ({ DeleteRequest: { Key: marshall({ pk: clientKey(app), sk: id }) } }));
    await this.writeAll('pruneClients', deletes);
    return ids;
  }

  /**
   * The cached shard list of `stream` (a consistent read), or `undefined` when there is none or
   * the item is malformed (then reported on `errors$`; the leader's next update replaces it).
   */
  async getShards(app: string, stream: string): Promise<CachedShard[] | undefined> {
    const out = await this.call('getShards', () =>
      this.client.send(
        new GetItemCommand({
          TableName: this.table,
          Key: marshall({ pk: shardCacheKey(app), sk: stream }),
          ConsistentRead: true,
        }),
      ),
    );
    if (out.Item === undefined) return undefined;
    const [cache] = this.decodeAll(ShardCacheItem, [out.Item]);
    if (cache === undefined) return undefined;
    if (cache.shards !== undefined) {
      return cache.shards.map((s) => ({
        id: s.ID,
        closed: s.Closed,
        ...(s.ParentShardId === undefined ? {} : { parentShardId: s.ParentShardId }),
        ...(s.AdjacentParentShardId === undefined ? {} : { adjacentParentShardId: s.AdjacentParentShardId }),
        ...(s.StartingSequenceNumber === undefined ? {} : { startingSequenceNumber: s.StartingSequenceNumber }),
      }));
    }
    // Old kinesumer versions cached only the ids of the open shards.
    return (cache.shard_ids ?? []).map((id) => ({ id, closed: false }));
  }

  /** Sets the `shards` attribute of the stream's shard-cache item (other attributes are kept). */
  async updateShards(app: string, stream: string, shards: readonly CachedShard[]): Promise<void> {
    const list = shards.map((s) => ({
      ID: s.id,
      Closed: s.closed,
      ParentShardId: s.parentShardId,
      AdjacentParentShardId: s.adjacentParentShardId,
      StartingSequenceNumber: s.startingSequenceNumber,
    }));
    await this.call('updateShards', () =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: marshall({ pk: shardCacheKey(app), sk: stream }),
          UpdateExpression: 'SET #shards = :shards',
          ExpressionAttributeNames: { '#shards': 'shards' },
          ExpressionAttributeValues: marshall({ ':shards': list }, { removeUndefinedValues: true }),
        }),
      ),
    );
  }

  /**
   * Checkpoints of `shardIds` in that order (BatchGetItem, 100 keys a call, consistent), or
   * of every shard of the stream in shard-id order (Query). Shards without a checkpoint are
   * left out: items with no `sequence_number` (shard states of acquired shards that have none
   * yet) are neither returned nor reported as malformed.
   */
  async getCheckpoints(app: string, stream: string, shardIds?: readonly string[]): Promise<Checkpoint[]> {
    const pk = checkpointKey(app, stream);
    const wanted = shardIds === undefined ? undefined : [...new Set(shardIds)];
    let items: Item[];
    if (wanted === undefined) {
      items = await this.queryAll('getCheckpoints', {
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: marshall({ ':pk': pk }),
        ConsistentRead: true,
      });
    } else {
      items = await this.getAll('getCheckpoints', wanted.map((sk) => marshall({ pk, sk })));
    }
    const checkpoints = this.decodeAll(CheckpointItem, items.filter(hasCheckpoint)).map(
      (item): Checkpoint => ({ shardId: item.sk, sequenceNumber: item.sequence_number, lastUpdate: item.last_update }),
    );
    if (wanted === undefined) return checkpoints.sort((a, b) => compareStrings(a.shardId, b.shardId));
    const order = new Map(wanted.map((id, i) => [id, i] as const));
    return checkpoints.sort((a, b) => (order.get(a.shardId) ?? 0) - (order.get(b.shardId) ?? 0));
  }

  /**
   * Writes the checkpoints with BatchWriteItem, 25 a call. When one shard appears more than
   * once, the last one wins (a batch may not name an item twice). Each item is replaced whole,
   * as kinesumer does: the shard's `owner`, `finished` and `shard_start` are removed.
   * @throws StateStoreError (not retriable) for a sequence number that is not a decimal string.
   */
  async updateCheckpoints(app: string, stream: string, checkpoints: readonly Checkpoint[]): Promise<void> {
    const pk = checkpointKey(app, stream);
    const latest = new Map<string, Checkpoint>();
    for (const cp of checkpoints) {
      validateSequenceNumber('updateCheckpoints', stream, cp.shardId, cp.sequenceNumber);
      validDate('updateCheckpoints', cp.lastUpdate);
      latest.delete(cp.shardId);
      latest.set(cp.shardId, cp);
    }
    const puts = [...latest.values()].map(
      (cp): WriteRequest => ({
        PutRequest: {
          Item: marshall(
            CheckpointItem.encode({ pk, sk: cp.shardId, sequence_number: cp.sequenceNumber, last_update: cp.lastUpdate }),
          ),
        },
      }),
    );
    await this.writeAll('updateCheckpoints', puts);
  }

  /**
   * The state of every shard of `stream` that has an item (Query, consistent, every page), in
   * shard-id order. Malformed items are reported on `errors$` and left out.
   */
  async listShardStates(app: string, stream: string): Promise<ShardState[]> {
    const items = await this.queryAll('listShardStates', {
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: marshall({ ':pk': checkpointKey(app, stream) }),
      ConsistentRead: true,
    });
    return this.decodeAll(ShardStateItem, items)
      .map(toShardState)
      .sort((a, b) => compareStrings(a.shardId, b.shardId));
  }

  /**
   * Takes the shard for `request.clientId`: reads its item (consistent), decides whether it is
   * free (no owner, this client, or an owner not in `request.alive`; and not finished), then
   * writes `owner`, `last_update` and `shard_start` (when given) on condition that `owner` and
   * `finished` are still what was read. Other attributes, the checkpoint among them, are kept.
   *
   * @returns The state after taking the shard, or `undefined` when it is held by a live client,
   *   finished, taken by another client in between (the condition failed), or malformed (then
   *   reported on `errors$`).
   */
  async acquireShard(app: string, stream: string, shardId: string, request: AcquireRequest): Promise<ShardState | undefined> {
    const now = validDate('acquireShard', request.now).toISOString();
    const aliveSince = validDate('acquireShard', request.aliveSince).getTime();
    const key = marshall({ pk: checkpointKey(app, stream), sk: shardId });
    if (request.seenFree === true) {
      // Seen free: take it in one write if it still is (no owner; an absent item has none either)
      // and holds no checkpoint that could be an older shard's (that needs the read below).
      const taken = await this.take(app, stream, shardId, request, now, key, freeFor(request.shardStart));
      if (taken !== CONDITION_FAILED) return taken;
    }
    const out = await this.call('acquireShard', () =>
      this.client.send(new GetItemCommand({ TableName: this.table, Key: key, ConsistentRead: true })),
    );
    if (out.Item === undefined) {
      const taken = await this.take(app, stream, shardId, request, now, key, { expression: 'attribute_not_exists(pk)', names: {}, values: {} });
      return taken === CONDITION_FAILED ? undefined : taken;
    }
    const [item] = this.decodeAll(ShardStateItem, [out.Item]);
    if (item === undefined) return undefined;
    // State written for an older shard of this id (a stream created again) is not this shard's
    // progress: the take removes its checkpoint and finished mark. Its owner still counts.
    const stored = toShardState(item);
    const seen = ownProgress(stored, request.shardStart);
    const stale = seen !== stored;
    if (seen.finished) return undefined;
    let ahead: Position | undefined;
    if (seen.owner !== undefined) {
      const owner = await this.readClient(app, seen.owner);
      if (seen.owner !== request.clientId && owner !== undefined && owner.lastUpdate.getTime() > aliveSince) return undefined;
      // Taken from a dead client (or from this one, restarted): start after its heartbeat checkpoint.
      ahead = takeoverPosition(owner?.checkpoints?.[stream]?.[shardId], seen, request.shardStart);
    }
    const condition: Condition =
      seen.owner === undefined
        ? { expression: 'attribute_not_exists(#owner)', names: { '#owner': 'owner' }, values: {} }
        : { expression: '#owner = :seen_owner', names: { '#owner': 'owner' }, values: { ':seen_owner': seen.owner } };
    if (!stale) {
      condition.expression += ` AND ${NOT_FINISHED}`;
      Object.assign(condition.names, FREE.names);
      Object.assign(condition.values, FREE.values);
    }
    if (ahead !== undefined || stale) {
      // ... and only if the stored checkpoint is still the one that was compared or found stale
      condition.names['#sequence_number'] = 'sequence_number';
      if (item.sequence_number === undefined) {
        condition.expression += ' AND attribute_not_exists(#sequence_number)';
      } else {
        condition.values[':seen_seq'] = item.sequence_number;
        condition.expression += ' AND #sequence_number = :seen_seq';
      }
    }
    const taken = await this.take(app, stream, shardId, request, now, key, condition, ahead, stale);
    return taken === CONDITION_FAILED ? undefined : taken;
  }

  /**
   * The conditional write of {@link acquireShard}: sets the owner (and the shard start, and a
   * takeover position when `ahead` is given) if `condition` holds; with `dropProgress`, removes
   * the checkpoint and finished mark (an older shard's) that `ahead` does not replace. A taken item
   * that cannot be read is released again (and reported).
   */
  private async take(
    app: string,
    stream: string,
    shardId: string,
    request: AcquireRequest,
    now: string,
    key: Item,
    condition: Condition,
    ahead?: Position,
    dropProgress = false,
  ): Promise<ShardState | undefined | typeof CONDITION_FAILED> {
    const names: Record<string, string> = { '#owner': 'owner', '#last_update': 'last_update', ...condition.names };
    const values: Record<string, unknown> = { ':me': request.clientId, ':now': now, ...condition.values };
    const set = ['#owner = :me', '#last_update = :now'];
    const remove: string[] = [];
    if (request.shardStart !== undefined) {
      names['#shard_start'] = 'shard_start';
      values[':start'] = request.shardStart;
      set.push('#shard_start = :start');
    }
    if (ahead !== undefined) {
      const position = positionUpdate(ahead, names, values);
      set.push(...position.set);
      remove.push(...position.remove);
    }
    if (dropProgress) {
      names['#finished'] = 'finished';
      names['#sequence_number'] = 'sequence_number';
      names['#sub_sequence_number'] = 'sub_sequence_number';
      remove.push('#finished');
      if (ahead === undefined) remove.push('#sequence_number', '#sub_sequence_number');
    }
    const updated = await this.callConditional('acquireShard', () =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: key,
          UpdateExpression: `SET ${set.join(', ')}${remove.length > 0 ? ` REMOVE ${[...new Set(remove)].join(', ')}` : ''}`,
          ConditionExpression: condition.expression,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: marshall(values),
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    if (updated === undefined) return CONDITION_FAILED;
    const [state] = this.decodeAll(ShardStateItem, [updated.Attributes ?? {}]);
    if (state === undefined) {
      // Taken, but what the item now holds cannot be read (reported): do not keep it.
      await this.releaseShard(app, stream, shardId, request.clientId);
      return undefined;
    }
    return toShardState(state);
  }

  /** `clientId`'s heartbeat (its own item, read now), or `undefined` when it has none or it is malformed. */
  private async readClient(app: string, clientId: string): Promise<{ lastUpdate: Date; checkpoints?: HeartbeatCheckpoints } | undefined> {
    const out = await this.call('acquireShard', () =>
      this.client.send(
        new GetItemCommand({ TableName: this.table, Key: marshall({ pk: clientKey(app), sk: clientId }), ConsistentRead: true }),
      ),
    );
    if (out.Item === undefined) return undefined;
    const [client] = this.decodeAll(ClientItem, [out.Item]);
    if (client === undefined) return undefined;
    const checkpoints = this.checkpointsOf(out.Item);
    return checkpoints === undefined ? { lastUpdate: client.last_update } : { lastUpdate: client.last_update, checkpoints };
  }

  /** The heartbeat attributes of a client item; a malformed one is reported and read as absent. */
  private extrasOf(item: Item): ClientExtras | undefined {
    const [extras] = this.decodeAll(ClientExtras, [item]);
    return extras;
  }

  /** The heartbeat checkpoints of a client item; malformed positions are reported and left out. */
  private checkpointsOf(item: Item): HeartbeatCheckpoints | undefined {
    const raw = this.extrasOf(item)?.checkpoints;
    if (raw === undefined) return undefined;
    const out: HeartbeatCheckpoints = {};
    for (const [stream, shards] of Object.entries(raw)) {
      for (const [shardId, text] of Object.entries(shards)) {
        const position = decodePosition(text);
        if (position === undefined) {
          const key = { pk: item['pk']?.S ?? '<missing>', sk: item['sk']?.S ?? '<missing>' };
          this.errors.next(new MalformedItemError(key, `checkpoints.${stream}.${shardId}: "${text}" is not a sequence number`));
          continue;
        }
        (out[stream] ??= {})[shardId] = position;
      }
    }
    return out;
  }

  /**
   * Writes a removed client's heartbeat checkpoints to the shards it still holds, where they are
   * further on than the stored ones (each on condition that owner and checkpoint are as read).
   */
  private async writeHeartbeatCheckpoints(app: string, clientId: string, checkpoints: HeartbeatCheckpoints): Promise<void> {
    for (const [stream, shards] of Object.entries(checkpoints)) {
      for (const [shardId, position] of Object.entries(shards)) {
        const key = marshall({ pk: checkpointKey(app, stream), sk: shardId });
        const out = await this.call('pruneClients', () =>
          this.client.send(new GetItemCommand({ TableName: this.table, Key: key, ConsistentRead: true })),
        );
        if (out.Item === undefined) continue;
        const [seen] = this.decodeAll(ShardStateItem, [out.Item]);
        if (seen === undefined || seen.owner !== clientId) continue;
        const ahead = takeoverPosition(position, toShardState(seen), seen.shard_start);
        if (ahead === undefined) continue;
        const names: Record<string, string> = { '#owner': 'owner', '#sequence_number': 'sequence_number' };
        const values: Record<string, unknown> = { ':owner': clientId };
        let condition = '#owner = :owner AND ';
        if (seen.sequence_number === undefined) {
          condition += 'attribute_not_exists(#sequence_number)';
        } else {
          values[':seen_seq'] = seen.sequence_number;
          condition += '#sequence_number = :seen_seq';
        }
        const update = positionUpdate(ahead, names, values);
        await this.callConditional('pruneClients', () =>
          this.client.send(
            new UpdateItemCommand({
              TableName: this.table,
              Key: key,
              UpdateExpression: `SET ${update.set.join(', ')}${update.remove.length > 0 ? ` REMOVE ${update.remove.join(', ')}` : ''}`,
              ConditionExpression: condition,
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: marshall(values),
            }),
          ),
        );
      }
    }
  }

  /**
   * Removes `owner` from the shard's item if it is `clientId` (a conditional UpdateItem); when
   * another client holds the shard, nobody does, or there is no item, nothing happens.
   */
  async releaseShard(app: string, stream: string, shardId: string, clientId: string): Promise<void> {
    await this.callConditional('releaseShard', () =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: marshall({ pk: checkpointKey(app, stream), sk: shardId }),
          UpdateExpression: 'REMOVE #owner',
          ConditionExpression: '#owner = :me',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: marshall({ ':me': clientId }),
        }),
      ),
    );
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
    const now = validDate('commitShard', commit.now).toISOString();
    const names: Record<string, string> = {
      '#owner': 'owner',
      '#sequence_number': 'sequence_number',
      '#last_update': 'last_update',
    };
    const values: Record<string, unknown> = { ':me': commit.clientId, ':now': now };
    let update = 'SET #last_update = :now';
    if (commit.sequenceNumber !== undefined) {
      values[':seq'] = commit.sequenceNumber;
      update += ', #sequence_number = :seq';
    }
    // A partly processed KPL aggregate keeps its sub-sequence next to the sequence number.
    let remove = '';
    if (commit.sequenceNumber !== undefined) {
      names['#sub_sequence_number'] = 'sub_sequence_number';
      if (commit.subSequenceNumber !== undefined) {
        values[':sub'] = commit.subSequenceNumber;
        update += ', #sub_sequence_number = :sub';
      } else {
        remove = ' REMOVE #sub_sequence_number';
      }
    }
    if (commit.finished) {
      names['#finished'] = 'finished';
      values[':true'] = true;
      update += ', #finished = :true';
    }
    let condition = '#owner = :me AND ';
    if (commit.previous === undefined) {
      condition += 'attribute_not_exists(#sequence_number)';
    } else {
      values[':prev'] = commit.previous;
      condition += '#sequence_number = :prev';
    }
    const out = await this.callConditional('commitShard', () =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: marshall({ pk: checkpointKey(app, stream), sk: shardId }),
          UpdateExpression: update + remove,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: marshall(values),
        }),
      ),
    );
    return out !== undefined;
  }

  /** Deletes the items of these shards with BatchWriteItem, 25 a call; missing items are no error. */
  async deleteShardStates(app: string, stream: string, shardIds: readonly string[]): Promise<void> {
    const pk = checkpointKey(app, stream);
    const deletes = [...new Set(shardIds)].map((sk): WriteRequest => ({ DeleteRequest: { Key: marshall({ pk, sk }) } }));
    await this.writeAll('deleteShardStates', deletes);
  }

  /** Runs one SDK call and maps what it throws. */
  private async call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (err) {
      throw toStateStoreError(operation, err, { table: this.table, location: await this.describeLocation() });
    }
  }

  /**
   * Runs one conditional SDK call: `undefined` when its condition failed
   * (ConditionalCheckFailedException), otherwise as {@link DynamoDBStateStore.call}.
   */
  private async callConditional<T>(operation: string, send: () => Promise<T>): Promise<T | undefined> {
    try {
      return await send();
    } catch (err) {
      if (isConditionalCheckFailed(err)) return undefined;
      throw toStateStoreError(operation, err, { table: this.table, location: await this.describeLocation() });
    }
  }

  private describeLocation(): Promise<string> {
    this.location ??= describeLocation(this.client, { region: this.config.region, endpoint: this.config.endpoint });
    return this.location;
  }

  /** Every item of a Query, page by page. */
  private async queryAll(operation: string, input: Omit<QueryCommandInput, 'TableName'>): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Item | undefined;
    do {
      const out = await this.call(operation, () =>
        this.client.send(
          new QueryCommand({
            ...input,
            TableName: this.table,
            ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
            ...(this.config.queryPageSize === undefined ? {} : { Limit: this.config.queryPageSize }),
          }),
        ),
      );
      items.push(...(out.Items ?? []));
      startKey = out.LastEvaluatedKey;
    } while (startKey !== undefined);
    return items;
  }

  /** BatchWriteItem, 25 requests a call, unprocessed ones retried. */
  private async writeAll(operation: string, requests: readonly WriteRequest[]): Promise<void> {
    for (const batch of chunk(requests, WRITE_BATCH)) {
      await retryUnprocessed(
        operation,
        batch,
        async (pending) => {
          const out = await this.call(operation, () =>
            this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.table]: [...pending] } })),
          );
          return out.UnprocessedItems?.[this.table] ?? [];
        },
        this.config.batchRetry,
      );
    }
  }

  /** BatchGetItem (consistent), 100 keys a call, unprocessed keys retried. */
  private async getAll(operation: string, keys: readonly Item[]): Promise<Item[]> {
    const items: Item[] = [];
    for (const batch of chunk(keys, READ_BATCH)) {
      await retryUnprocessed(
        operation,
        batch,
        async (pending) => {
          const request: KeysAndAttributes = { Keys: [...pending], ConsistentRead: true };
          const out = await this.call(operation, () =>
            this.client.send(new BatchGetItemCommand({ RequestItems: { [this.table]: request } })),
          );
          items.push(...(out.Responses?.[this.table] ?? []));
          return out.UnprocessedKeys?.[this.table]?.Keys ?? [];
        },
        this.config.batchRetry,
      );
    }
    return items;
  }

  /** Decodes items with `codec`; the malformed ones are reported on `errors$` and left out. */
  private decodeAll<A, O>(codec: t.Type<A, O, unknown>, items: readonly Item[]): A[] {
    const decoded: A[] = [];
    for (const item of items) {
      let plain: Record<string, unknown>;
      try {
        // wrapNumbers: a large N attribute must not throw; it fails decoding instead.
        plain = unmarshall(item, { wrapNumbers: true });
      } catch (err) {
        const key = { pk: item['pk']?.S ?? '<missing>', sk: item['sk']?.S ?? '<missing>' };
        this.errors.next(new MalformedItemError(key, `cannot be unmarshalled: ${describeCause(err)}`));
        continue;
      }
      const result = decodeItem(codec, plain);
      if (result.ok) decoded.push(result.value);
      else this.errors.next(result.error);
    }
    return decoded;
  }
}

/** Code-unit order, the same in every store (DynamoDB's byte order differs only for astral characters). */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function validateSequenceNumber(operation: string, stream: string, shardId: string, sequenceNumber: string): void {
  if (!SequenceNumber.is(sequenceNumber)) {
    throw new StateStoreError(operation, `sequence number of shard ${shardId} of stream "${stream}" is not a decimal string`);
  }
}

/** A commit needs a decimal sequence number, or none at all when it only marks the shard finished. */
function validateCommit(stream: string, shardId: string, commit: ShardCommit): void {
  if (commit.sequenceNumber !== undefined) {
    validateSequenceNumber('commitShard', stream, shardId, commit.sequenceNumber);
  } else if (!commit.finished) {
    throw new StateStoreError('commitShard', `a commit of shard ${shardId} of stream "${stream}" has neither a sequence number nor finished`);
  }
}

function isConditionalCheckFailed(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'ConditionalCheckFailedException';
}

/** A decoded checkpoint-partition item as a {@link ShardState} (`finished` false when absent). */
/**
 * The parts of an UpdateExpression that move a checkpoint to `position`: `set` starts with
 * `, ` (to follow another SET action), `remove` is empty or ` REMOVE ...`.
 */
function positionUpdate(position: Position, names: Record<string, string>, values: Record<string, unknown>): { set: string[]; remove: string[] } {
  names['#sequence_number'] = 'sequence_number';
  names['#sub_sequence_number'] = 'sub_sequence_number';
  values[':position_seq'] = position.sequenceNumber;
  if (position.subSequenceNumber === undefined) {
    return { set: ['#sequence_number = :position_seq'], remove: ['#sub_sequence_number'] };
  }
  values[':position_sub'] = position.subSequenceNumber;
  return { set: ['#sequence_number = :position_seq', '#sub_sequence_number = :position_sub'], remove: [] };
}

function toShardState(item: ShardStateItem): ShardState {
  return {
    shardId: item.sk,
    ...(item.sequence_number === undefined ? {} : { sequenceNumber: item.sequence_number }),
    ...(item.sub_sequence_number === undefined ? {} : { subSequenceNumber: item.sub_sequence_number }),
    ...(item.owner === undefined ? {} : { owner: item.owner }),
    finished: item.finished ?? false,
    ...(item.shard_start === undefined ? {} : { shardStart: item.shard_start }),
    ...(item.last_update === undefined ? {} : { lastUpdate: item.last_update }),
  };
}

function validDate(operation: string, date: Date): Date {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new StateStoreError(operation, 'an invalid Date was given');
  }
  return date;
}

/** What is wrong with a table's keys and index, as short phrases; empty when all is right. */
function schemaProblems(table: TableDescription): string[] {
  const problems: string[] = [];
  const types = new Map((table.AttributeDefinitions ?? []).map((a) => [a.AttributeName, a.AttributeType] as const));
  const showKeys = (keys: TableDescription['KeySchema']) =>
    (keys ?? []).map((k) => `${k.AttributeName} ${k.KeyType}`).join(', ') || 'none';
  const hasKeys = (keys: TableDescription['KeySchema'], hash: string, range: string) =>
    keys?.length === 2 &&
    keys.some((k) => k.AttributeName === hash && k.KeyType === 'HASH') &&
    keys.some((k) => k.AttributeName === range && k.KeyType === 'RANGE');

  if (!hasKeys(table.KeySchema, 'pk', 'sk')) {
    problems.push(`the key schema is (${showKeys(table.KeySchema)}), not (pk HASH, sk RANGE)`);
  }
  for (const name of ['pk', 'sk']) {
    const type = types.get(name);
    if (type !== undefined && type !== 'S') problems.push(`attribute ${name} has type ${type}, not S`);
  }
  const index = table.LocalSecondaryIndexes?.find((i) => i.IndexName === CLIENT_LAST_UPDATE_INDEX);
  if (index === undefined) {
    problems.push(`the local secondary index "${CLIENT_LAST_UPDATE_INDEX}" is missing`);
  } else {
    if (!hasKeys(index.KeySchema, 'pk', 'last_update')) {
      problems.push(
        `the index "${CLIENT_LAST_UPDATE_INDEX}" has keys (${showKeys(index.KeySchema)}), not (pk HASH, last_update RANGE)`,
      );
    }
    const type = types.get('last_update');
    if (type !== undefined && type !== 'S') problems.push(`attribute last_update has type ${type}, not S`);
  }
  return problems;
}
