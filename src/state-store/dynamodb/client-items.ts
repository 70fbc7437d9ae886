/**
 * The group's membership in the client items (pk `client#<app>`, sk client id): pings and
 * heartbeats, listing the alive or all clients, and pruning the dead ones.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import type { WriteRequest } from '@aws-sdk/client-dynamodb';
import { MalformedItemError } from '../../errors.js';
import { decodePosition, encodePosition } from '../../position.js';
import { isAlive, isExpired } from '../client-liveness.js';
import { mapShardEntries } from '../heartbeat-checkpoints.js';
import { decodeStats, encodeStats } from '../heartbeat-stats.js';
import type { ClientHeartbeat, GroupMember, Heartbeat, ListGroupOptions, HeartbeatCheckpoints, HeartbeatSeeks, HeartbeatStats } from '../state-store.js';
import { byClientId, compareStrings } from '../store-values.js';
import { validHeartbeat } from '../store-validation.js';
import type { HolderHeartbeat } from '../take-decision.js';
import { CLIENT_LAST_UPDATE_INDEX } from './create-table.js';
import { ClientExtras, ClientItem, ClientSeeks, ClientStats, clientKey } from './items.js';
import { writeHeartbeatCheckpoints } from './shard-state-items.js';
import { keyOf, type Item, type TableClient } from './table-client.js';
import { UpdateExpression } from './update-expression.js';

/** The attributes of a client item. */
type ClientAttribute = 'last_update' | 'checkpoints' | 'digests' | 'stats' | 'seeks';

/**
 * How far the LSI range condition of {@link pruneClients} reaches past the cutoff. `last_update`
 * is compared as a string there, and Go writes it with a variable number of fraction digits
 * (`...:00Z` sorts after `...:00.5Z`) and, in a local time zone, with an offset of up to ±14
 * hours. Candidates are confirmed with parsed dates, so the margin costs only reads.
 */
const PRUNE_QUERY_MARGIN_MS = 14 * 3_600_000 + 1_000;

/** Upserts the client item with `last_update` = `now` (checked by the caller). */
export async function pingClient(db: TableClient, app: string, clientId: string, now: Date): Promise<void> {
  const update = new UpdateExpression<ClientAttribute>().set('last_update', now.toISOString());
  await db.update('pingClient', { pk: clientKey(app), sk: clientId }, update);
}

/** Upserts the client item with `last_update`, `checkpoints`, `digests` and `stats`; an empty or absent one is removed. */
export async function writeHeartbeat(db: TableClient, app: string, clientId: string, now: Date, heartbeat: Heartbeat): Promise<void> {
  const beat = validHeartbeat(heartbeat);
  const checkpoints = mapShardEntries(beat.checkpoints, encodePosition);
  const update = new UpdateExpression<ClientAttribute>().set('last_update', now.toISOString());
  if (Object.keys(checkpoints).length > 0) update.set('checkpoints', checkpoints);
  else update.remove('checkpoints');
  if (beat.digests !== undefined) update.set('digests', beat.digests);
  else update.remove('digests');
  if (beat.stats !== undefined) update.set('stats', encodeStats(beat.stats));
  else update.remove('stats');
  if (beat.seeks !== undefined) update.set('seeks', beat.seeks);
  else update.remove('seeks');
  await db.update('heartbeat', { pk: clientKey(app), sk: clientId }, update);
}

/**
 * The clients alive after `since` with the leader's digests, by id.
 *
 * Without stats: a consistent Query of kinesumer's index (keys and `last_update` only, so its
 * cost grows with the number of clients, not with the checkpoints and stats their items carry),
 * then a GetItem of the first alive client's item for its digests (only the leader writes
 * digests), unless that client is `options.self`. With `options.stats` (the `'balanced'` assignment needs every member's shard loads):
 * one consistent Query of the client items, without the heartbeat checkpoints.
 */
export async function listGroup(db: TableClient, app: string, since: Date, options: ListGroupOptions = {}): Promise<GroupMember[]> {
  if (options.stats === true) return listGroupWithStats(db, app, since);
  const items = await db.queryAll('listGroup', {
    IndexName: CLIENT_LAST_UPDATE_INDEX,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: marshall({ ':pk': clientKey(app) }),
    ConsistentRead: true,
  });
  const alive = db
    .decodeAll(ClientItem, items)
    .filter((client) => isAlive(client.last_update, since))
    .map((client) => client.sk)
    .sort(compareStrings);
  const members: GroupMember[] = alive.map((clientId) => ({ clientId }));
  const leader = members[0];
  if (leader !== undefined && leader.clientId !== options.self) {
    const item = await db.getItem('listGroup', { pk: clientKey(app), sk: leader.clientId });
    const digests = item === undefined ? undefined : db.decode(ClientExtras, item)?.digests;
    if (digests !== undefined) leader.digests = digests;
  }
  return members;
}

async function listGroupWithStats(db: TableClient, app: string, since: Date): Promise<GroupMember[]> {
  const items = await db.queryAll('listGroup', {
    KeyConditionExpression: '#pk = :pk',
    ProjectionExpression: '#pk, #sk, #last_update, #digests, #stats',
    ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk', '#last_update': 'last_update', '#digests': 'digests', '#stats': 'stats' },
    ExpressionAttributeValues: marshall({ ':pk': clientKey(app) }),
    ConsistentRead: true,
  });
  const members: GroupMember[] = [];
  for (const item of items) {
    const client = db.decode(ClientItem, item);
    if (client === undefined || !isAlive(client.last_update, since)) continue;
    const digests = db.decode(ClientExtras, item)?.digests;
    const member: GroupMember = digests === undefined ? { clientId: client.sk } : { clientId: client.sk, digests };
    const stats = statsOf(db, item);
    if (stats !== undefined) member.stats = stats;
    members.push(member);
  }
  return members.sort(byClientId);
}

/** Deletes the client item. */
export async function deregisterClient(db: TableClient, app: string, clientId: string): Promise<void> {
  await db.deleteItem('deregisterClient', { pk: clientKey(app), sk: clientId });
}

/** Ids of the clients alive after `since`, sorted: every client item of the app, compared as parsed dates. */
export async function listAliveClients(db: TableClient, app: string, since: Date): Promise<string[]> {
  const items = await queryClients(db, 'listAliveClients', app);
  return db
    .decodeAll(ClientItem, items)
    .filter((client) => isAlive(client.last_update, since))
    .map((client) => client.sk)
    .sort(compareStrings);
}

/** Every client of the app with its last heartbeat, heartbeat checkpoints and shard stats, by id. */
export async function listClients(db: TableClient, app: string): Promise<ClientHeartbeat[]> {
  const clients: ClientHeartbeat[] = [];
  for (const item of await queryClients(db, 'listClients', app)) {
    const heartbeat = clientHeartbeatOf(db, item);
    if (heartbeat !== undefined) clients.push(heartbeat);
  }
  return clients.sort(byClientId);
}

/**
 * A run's first heartbeat (see `StateStore.rejoin`): one UpdateItem that sets `last_update`,
 * removes `digests` and `stats`, leaves `checkpoints` and `seeks` as they are, and returns the
 * item as it was (a malformed one is reported and reads as none).
 */
export async function rejoin(db: TableClient, app: string, clientId: string, now: Date): Promise<ClientHeartbeat | undefined> {
  const update = new UpdateExpression<ClientAttribute>().set('last_update', now.toISOString()).remove('digests').remove('stats');
  const before = await db.updateReturningOld('rejoin', { pk: clientKey(app), sk: clientId }, update);
  return before === undefined ? undefined : clientHeartbeatOf(db, before);
}

/** A client item as a {@link ClientHeartbeat}; `undefined` (reported) when malformed. */
function clientHeartbeatOf(db: TableClient, item: Item): ClientHeartbeat | undefined {
  const client = db.decode(ClientItem, item);
  if (client === undefined) return undefined;
  const heartbeat: ClientHeartbeat = { clientId: client.sk, lastUpdate: client.last_update };
  const checkpoints = checkpointsOf(db, item);
  if (checkpoints !== undefined) heartbeat.checkpoints = checkpoints;
  const seeks = seeksOf(db, item);
  if (seeks !== undefined) heartbeat.seeks = seeks;
  const stats = statsOf(db, item);
  if (stats !== undefined) heartbeat.stats = stats;
  return heartbeat;
}

/**
 * Deletes the clients last heard from before `before` (found through kinesumer's LSI) and
 * returns their ids, sorted; their heartbeat checkpoints go to the shards they still hold first.
 */
export async function pruneClients(db: TableClient, app: string, before: Date): Promise<string[]> {
  const bound = new Date(Math.min(before.getTime() + PRUNE_QUERY_MARGIN_MS, 8.64e15)).toISOString();
  const items = await db.queryAll('pruneClients', {
    IndexName: CLIENT_LAST_UPDATE_INDEX,
    KeyConditionExpression: 'pk = :pk AND #last_update < :bound',
    ExpressionAttributeNames: { '#last_update': 'last_update' },
    ExpressionAttributeValues: marshall({ ':pk': clientKey(app), ':bound': bound }),
    ConsistentRead: true,
  });
  const ids = db
    .decodeAll(ClientItem, items)
    .filter((client) => isExpired(client.last_update, before))
    .map((client) => client.sk)
    .sort(compareStrings);
  if (ids.length > 0) {
    const full = await db.getAll('pruneClients', ids.map((id) => marshall({ pk: clientKey(app), sk: id })));
    for (const item of full) {
      const checkpoints = checkpointsOf(db, item);
      const id = item['sk']?.S;
      if (checkpoints !== undefined && id !== undefined) await writeHeartbeatCheckpoints(db, app, id, checkpoints, seeksOf(db, item));
    }
  }
  const deletes = ids.map((id): WriteRequest => ({ DeleteRequest: { Key: marshall({ pk: clientKey(app), sk: id }) } }));
  await db.writeAll('pruneClients', deletes);
  return ids;
}

/** `clientId`'s last heartbeat (its own item, read now), or `undefined` when it has none or it is malformed. */
export async function readHeartbeat(db: TableClient, operation: string, app: string, clientId: string): Promise<HolderHeartbeat | undefined> {
  const item = await db.getItem(operation, { pk: clientKey(app), sk: clientId });
  const client = item === undefined ? undefined : db.decode(ClientItem, item);
  if (item === undefined || client === undefined) return undefined;
  const heartbeat: HolderHeartbeat = { lastUpdate: client.last_update };
  const checkpoints = checkpointsOf(db, item);
  if (checkpoints !== undefined) heartbeat.checkpoints = checkpoints;
  const seeks = seeksOf(db, item);
  if (seeks !== undefined) heartbeat.seeks = seeks;
  return heartbeat;
}

/** The `seek` of each heartbeat checkpoint of a client item; a malformed map is reported and left out. */
function seeksOf(db: TableClient, item: Item): HeartbeatSeeks | undefined {
  return db.decode(ClientSeeks, item)?.seeks;
}

/** Every client item of the app: a consistent Query, every page. */
function queryClients(db: TableClient, operation: string, app: string): Promise<Item[]> {
  return db.queryAll(operation, {
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: marshall({ ':pk': clientKey(app) }),
    ConsistentRead: true,
  });
}

/** The heartbeat checkpoints of a client item; malformed ones are reported and left out. */
function checkpointsOf(db: TableClient, item: Item): HeartbeatCheckpoints | undefined {
  const raw = db.decode(ClientExtras, item)?.checkpoints;
  if (raw === undefined) return undefined;
  return mapShardEntries(raw, (text, stream, shardId) => {
    const position = decodePosition(text);
    if (position === undefined) db.report(new MalformedItemError(keyOf(item), `checkpoints.${stream}.${shardId}: "${text}" is not a sequence number`));
    return position;
  });
}

/** The shard stats of a client item; malformed entries are reported and left out. */
function statsOf(db: TableClient, item: Item): HeartbeatStats | undefined {
  const raw = db.decode(ClientStats, item)?.stats;
  if (raw === undefined) return undefined;
  return decodeStats(raw, (stream, key) => db.report(new MalformedItemError(keyOf(item), `stats.${stream}.${key} is not a string of shard stats`)));
}
