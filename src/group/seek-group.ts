/**
 * Replaying or skipping part of a stream while the group runs: {@link seekGroup} checks the
 * target against Kinesis, plans the writes ({@link planSeek}) and makes them, parents first, as
 * ordinary state-store writes. Every running owner of a sought shard sees the shard's `seek` grow
 * at one of its next sync rounds (the leader's digest carries it to followers), stops at once and
 * reads again from the target; its marks from before the seek are refused by the fenced writes.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { firstValueFrom, lastValueFrom, from } from 'rxjs';
import { UsageError, asKinesisError } from '../errors.js';
import type { KinesisApi } from '../kinesis/kinesis-api.js';
import type { KinesisOptions } from '../kinesis/kinesis-options.js';
import { resolveKinesisApi } from '../kinesis/resolve-kinesis-api.js';
import { encodeSeekTarget, type SeekTarget } from '../position.js';
import type { DynamoDBStateStoreOptions } from '../state-store/dynamodb/dynamodb-options.js';
import { resolveStateStore } from '../state-store/resolve-state-store.js';
import type { ShardState, StateStore } from '../state-store/state-store.js';
import { planSeek, type SeekPlan } from './seek-plan.js';
import { toCachedShard } from './shard-list.js';

export type { SeekPlan, SeekStep } from './seek-plan.js';

/** Where a seek sends shards: their oldest record, their tip, a time, or (one shard's) sequence number. */
export type SeekPosition = 'TRIM_HORIZON' | 'LATEST' | Date | { timestamp: Date } | { sequenceNumber: string };

/** What {@link seekGroup} works with: the group, and the same store and Kinesis its members use. */
export interface SeekDependencies {
  app: string;
  /** A state store, or the DynamoDB table. */
  stateStore: StateStore | DynamoDBStateStoreOptions;
  /** A Kinesis client, how to build one, or a `KinesisApi` seam: the shard list is read with ListShards. */
  kinesis: KinesisClient | KinesisOptions | KinesisApi;
}

/** Options of {@link seekGroup}. */
export interface SeekOptions {
  /** Only these shards, and their descendants. Required (exactly one) for a sequence number. */
  shards?: readonly string[];
  /** The time a timestamp is checked against (it may not be in the future). Default: now. */
  now?: Date;
}

/** What a seek did: per shard, in the order written, what it did and the shard's new `seek`. */
export interface SeekResult {
  stream: string;
  to: SeekTarget;
  shards: { shardId: string; action: 'seek' | 'finish' | 'keepFinished'; target?: SeekTarget; seek: number }[];
}

/**
 * Sends the shards of `stream` back (or forward) to `to`, safely while the group runs.
 *
 * - Every running owner of a sought shard notices at one of its next sync rounds (within about
 *   one `syncInterval`, two at most), stops at once (nothing is drained) and reads again from the
 *   target. Records before a timestamp are not delivered again; nothing at or after it is skipped.
 * - Marks made before the seek never overwrite it: every checkpoint write is fenced on the shard's
 *   `seek`, and a takeover uses a heartbeat checkpoint only when it was made under that `seek`.
 * - A seek to a time before a split or merge reads the parents again first, then the children.
 * - A seek of a stream nobody consumes takes effect when the group starts.
 *
 * ## Example
 * ```ts
 * import { seekGroup } from 'rx-kinesumer';
 * await seekGroup({ app: 'orders-indexer', stateStore: { table: 'kinesumer-state-store' }, kinesis: { region: 'eu-west-1' } },
 *   'orders', new Date('2024-03-01T12:00:00Z'));
 * ```
 *
 * @param deps The group, its state store and Kinesis.
 * @param stream The stream's name.
 * @param to Where to go.
 * @param options Only some shards.
 * @returns What was written.
 * @throws UsageError (`INVALID_SEEK`, `UNKNOWN_SHARD`) for a target or shard that does not fit;
 *   `StreamNotFoundError`; the store's errors.
 */
export async function seekGroup(deps: SeekDependencies, stream: string, to: SeekPosition, options: SeekOptions = {}): Promise<SeekResult> {
  const resolved = resolveSeekDependencies(deps);
  return applySeek(resolved, await prepareSeek(resolved, stream, to, options));
}

/** A store and a Kinesis seam, resolved once for {@link prepareSeek} and {@link applySeek}. */
export interface ResolvedSeekDependencies {
  app: string;
  store: StateStore;
  kinesis: KinesisApi;
}

/** The store and seam of `deps` (a store or seam given is used as it is). */
export function resolveSeekDependencies(deps: SeekDependencies): ResolvedSeekDependencies {
  return { app: deps.app, store: resolveStateStore(deps.stateStore), kinesis: resolveKinesisApi(deps.kinesis) };
}

/**
 * Checks the seek and plans it without writing anything (what `kinesumer seek` shows before it
 * asks): the target, the stream's shards (ListShards) and, for a sequence number, that it is a
 * record of its shard (GetShardIterator).
 */
export async function prepareSeek(deps: ResolvedSeekDependencies, stream: string, to: SeekPosition, options: SeekOptions = {}): Promise<SeekPlan> {
  const { app, store, kinesis } = deps;
  if (store.seekShard === undefined) throw new UsageError('this state store cannot seek (it has no seekShard method)', 'INVALID_SEEK');
  const target = seekTarget(to, options);
  if (store.ready) await lastValueFrom(from(store.ready()), { defaultValue: undefined });
  // the seam's calls emit their answer; a test double may not complete after it
  const shards = (await firstValueFrom(kinesis.listShards(stream))).map(toCachedShard).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const ids = options.shards === undefined ? undefined : [...new Set(options.shards)];
  const unknown = ids?.filter((id) => !shards.some((s) => s.id === id)) ?? [];
  if (unknown.length > 0) {
    const message = `${unknown.join(', ')} ${unknown.length > 1 ? 'are not shards' : 'is not a shard'} of stream "${stream}" (its shards: ${shards.map((s) => s.id).join(', ')})`;
    throw new UsageError(message, 'UNKNOWN_SHARD');
  }
  if (target.type === 'AT_SEQUENCE_NUMBER') {
    const shardId = ids![0]!;
    try {
      await firstValueFrom(kinesis.getShardIterator(stream, shardId, target));
    } catch (err) {
      const cause = asKinesisError(err, 'GetShardIterator', stream, shardId);
      throw new UsageError(`sequence number ${target.sequenceNumber} is not a record of shard ${shardId} of stream "${stream}": ${cause.message}`, 'INVALID_SEEK');
    }
  }
  const states = await lastValueFrom(from(store.listShardStates(app, stream)));
  return planSeek(stream, shards, states, target, ids);
}

/** Makes the writes of `plan`, in its order (parents first). */
export async function applySeek(deps: ResolvedSeekDependencies, plan: SeekPlan, now: () => Date = () => new Date()): Promise<SeekResult> {
  const { app, store } = deps;
  const seekShard = store.seekShard!.bind(store);
  const seeks = new Map<string, number>();
  const written: SeekResult['shards'] = [];
  for (const step of plan.steps) {
    const after = Object.fromEntries(step.after.map((p) => [p, seeks.get(p)!]));
    const state: ShardState = await lastValueFrom(
      from(
        seekShard(app, plan.stream, step.shardId, {
          seekTo: step.action === 'seek' ? encodeSeekTarget(step.target!) : undefined,
          seekAfter: after,
          shardStart: step.shardStart,
          now: now(),
        }),
      ),
    );
    seeks.set(step.shardId, state.seek ?? 0);
    written.push({ shardId: step.shardId, action: step.action, ...(step.target === undefined ? {} : { target: step.target }), seek: state.seek ?? 0 });
  }
  return { stream: plan.stream, to: plan.to, shards: written };
}

/**
 * The Kinesis target of a seek position, checked.
 * @throws UsageError (`INVALID_SEEK`) naming what is wrong.
 */
export function seekTarget(to: SeekPosition, options: SeekOptions = {}): SeekTarget {
  const shards = options.shards;
  if (shards !== undefined && (!Array.isArray(shards) || shards.length === 0 || shards.some((s) => typeof s !== 'string' || s === ''))) {
    throw new UsageError(`seek: shards must be a non-empty array of shard ids, not ${JSON.stringify(shards)}`, 'INVALID_SEEK');
  }
  if (to === 'TRIM_HORIZON' || to === 'LATEST') return { type: to };
  const timestamp = to instanceof Date ? to : typeof to === 'object' && to !== null && 'timestamp' in to ? to.timestamp : undefined;
  if (timestamp !== undefined) {
    if (!(timestamp instanceof Date) || Number.isNaN(timestamp.getTime())) throw new UsageError('seek: the timestamp is not a valid Date', 'INVALID_SEEK');
    const now = options.now ?? new Date();
    if (timestamp.getTime() > now.getTime()) {
      throw new UsageError(`seek: ${timestamp.toISOString()} is in the future (now ${now.toISOString()}); to skip what is there, seek to LATEST`, 'INVALID_SEEK');
    }
    return { type: 'AT_TIMESTAMP', timestamp: new Date(timestamp.getTime()) };
  }
  if (typeof to === 'object' && to !== null && 'sequenceNumber' in to) {
    if (typeof to.sequenceNumber !== 'string' || !/^(0|[1-9][0-9]*)$/.test(to.sequenceNumber)) {
      throw new UsageError(`seek: sequence number ${JSON.stringify(to.sequenceNumber)} is not a decimal string`, 'INVALID_SEEK');
    }
    if (shards?.length !== 1) throw new UsageError('seek: a sequence number belongs to one shard: give exactly one in shards', 'INVALID_SEEK');
    return { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: to.sequenceNumber };
  }
  throw new UsageError(`seek: ${JSON.stringify(to)} is not a position: use 'TRIM_HORIZON', 'LATEST', a Date, { timestamp } or { sequenceNumber }`, 'INVALID_SEEK');
}
