/**
 * Taking a shard on DynamoDB: the shared take rule (`decideTake`) decided on a consistent read of
 * the shard's item and its holder's heartbeat, written with a condition that the item is still
 * what was read ({@link takeCondition}). With a `seenFree` hint, a first write on condition that
 * the shard is free saves the read.
 */
import { takeChange, type ShardChange } from '../shard-change.js';
import type { AcquireRequest, ShardState } from '../state-store.js';
import { decideTake, holderToAsk } from '../take-decision.js';
import { readHeartbeat } from './client-items.js';
import { ShardStateItem, checkpointKey, shardStateOfItem } from './items.js';
import { NO_ITEM, freeFor, takeCondition } from './shard-conditions.js';
import { releaseShard, shardUpdate } from './shard-state-items.js';
import type { ItemKey, TableClient } from './table-client.js';
import type { Condition } from './update-expression.js';

/** The conditional take found the item other than expected. */
const CONDITION_FAILED = Symbol('condition failed');

/** The shard and its item's key. */
interface Target {
  app: string;
  stream: string;
  shardId: string;
  key: ItemKey;
}

/**
 * Takes the shard for `request.clientId` if the take rule allows it (dates checked by the
 * caller); `undefined` when it does not, when another client took it in between, or when the
 * item is malformed (reported).
 */
export async function acquireShard(db: TableClient, app: string, stream: string, shardId: string, request: AcquireRequest): Promise<ShardState | undefined> {
  const target: Target = { app, stream, shardId, key: { pk: checkpointKey(app, stream), sk: shardId } };
  if (request.seenFree === true) {
    // Seen free: take it in one write if it still is (no owner; an absent item has none either)
    // and holds no checkpoint that could be an older shard's (that needs the read below).
    const taken = await take(db, target, request.clientId, takeChange(request), freeFor(request.shardStart));
    if (taken !== CONDITION_FAILED) return taken;
  }
  const item = await db.getItem('acquireShard', target.key);
  if (item === undefined) {
    const taken = await take(db, target, request.clientId, takeChange(request), NO_ITEM);
    return taken === CONDITION_FAILED ? undefined : taken;
  }
  const decoded = db.decode(ShardStateItem, item);
  if (decoded === undefined) return undefined;
  const stored = shardStateOfItem(decoded);
  const holder = holderToAsk(stored, request.shardStart);
  const heartbeat = holder === undefined ? undefined : await readHeartbeat(db, 'acquireShard', app, holder);
  const decision = decideTake(stored, request, heartbeat, stream);
  if (decision === undefined) return undefined;
  const taken = await take(db, target, request.clientId, decision.change, takeCondition(decision, stored.sequenceNumber));
  return taken === CONDITION_FAILED ? undefined : taken;
}

/**
 * The conditional write of a take: `change` if `condition` holds. A taken item that cannot be
 * read is released again (and reported).
 */
async function take(
  db: TableClient,
  target: Target,
  clientId: string,
  change: ShardChange,
  condition: Condition,
): Promise<ShardState | undefined | typeof CONDITION_FAILED> {
  const updated = await db.updateIf('acquireShard', target.key, shardUpdate(change).when(condition), true);
  if (updated === undefined) return CONDITION_FAILED;
  const state = db.decode(ShardStateItem, updated.Attributes ?? {});
  if (state === undefined) {
    // Taken, but what the item now holds cannot be read (reported): do not keep it.
    await releaseShard(db, target.app, target.stream, target.shardId, clientId);
    return undefined;
  }
  return shardStateOfItem(state);
}
