/**
 * The shard stats a heartbeat carries ({@link Heartbeat.stats}): the rules both stores apply to
 * them, and their compact form in a DynamoDB item (one map per shard with one-letter keys, so that
 * each owned shard adds a few dozen bytes to the heartbeat write and no request).
 */
import { StateStoreError } from '../errors.js';
import { mapShardEntries } from './heartbeat-checkpoints.js';
import type { HeartbeatStats, ShardActivity, ShardStats } from './state-store.js';
import { withoutUndefined } from './store-values.js';

/** Every {@link ShardActivity}. */
export const SHARD_ACTIVITIES: readonly ShardActivity[] = [
  'reading',
  'taking',
  'paused',
  'backpressure',
  'checkpointRejected',
  'cannotRead',
  'failingRecords',
  'stalled',
];

/**
 * The one-letter attribute of each {@link ShardStats} field in a DynamoDB heartbeat item. New
 * fields take a letter of their own; a reader ignores letters it does not know.
 */
export const STATS_ATTRIBUTES = { lagMs: 'l', lastRecordAgeMs: 'a', inFlight: 'f', state: 's', error: 'e' } as const satisfies Record<keyof ShardStats, string>;

const NUMERIC = ['lagMs', 'lastRecordAgeMs', 'inFlight'] as const;

/** Whether `value` is one of the {@link SHARD_ACTIVITIES}. */
export function isShardActivity(value: unknown): value is ShardActivity {
  return typeof value === 'string' && (SHARD_ACTIVITIES as readonly string[]).includes(value);
}

/**
 * A checked copy of one shard's stats: counts rounded to whole non-negative numbers, `reading`
 * left out (it is what an absent state means), undefined fields dropped.
 * @throws StateStoreError of `heartbeat` naming the shard for a negative or non-finite number or an unknown state.
 */
export function validShardStats(stats: ShardStats, stream: string, shardId: string): ShardStats {
  const out: ShardStats = {};
  for (const field of NUMERIC) {
    const value = stats[field];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new StateStoreError('heartbeat', `stats.${field} of shard ${shardId} of stream "${stream}" is not a non-negative number`);
    }
    out[field] = Math.round(value);
  }
  if (stats.state !== undefined && !isShardActivity(stats.state)) {
    throw new StateStoreError('heartbeat', `stats.state of shard ${shardId} of stream "${stream}" is not one of ${SHARD_ACTIVITIES.join(', ')}`);
  }
  if (stats.state !== undefined && stats.state !== 'reading') out.state = stats.state;
  if (stats.error !== undefined) out.error = String(stats.error).slice(0, 100);
  return out;
}

/** A checked copy of a heartbeat's stats ({@link validShardStats}); streams without shards are left out. */
export function validStats(stats: HeartbeatStats | undefined): HeartbeatStats {
  return mapShardEntries(stats ?? {}, (value, stream, shardId) => validShardStats(value, stream, shardId));
}

/** One shard's stats as the DynamoDB item keeps them: a map with the letters of {@link STATS_ATTRIBUTES}. */
export function encodeShardStats(stats: ShardStats): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [field, letter] of Object.entries(STATS_ATTRIBUTES) as [keyof ShardStats, string][]) {
    const value = stats[field];
    if (value !== undefined) out[letter] = value;
  }
  return out;
}

/**
 * The stats an item's map holds, or `undefined` when it is not one (a value of the wrong type).
 * Letters this version does not know are ignored; numbers may come wrapped (`{ value }`, the SDK's
 * NumberValue).
 */
export function decodeShardStats(raw: unknown): ShardStats | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const map = raw as Record<string, unknown>;
  const number = (letter: string): number | undefined | null => {
    const value = map[letter];
    if (value === undefined) return undefined;
    const n = typeof value === 'object' && value !== null && 'value' in value ? Number((value as { value: unknown }).value) : value;
    return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : null;
  };
  const text = (letter: string): string | undefined | null => {
    const value = map[letter];
    return value === undefined ? undefined : typeof value === 'string' ? value : null;
  };
  const lagMs = number(STATS_ATTRIBUTES.lagMs);
  const lastRecordAgeMs = number(STATS_ATTRIBUTES.lastRecordAgeMs);
  const inFlight = number(STATS_ATTRIBUTES.inFlight);
  const state = text(STATS_ATTRIBUTES.state);
  const error = text(STATS_ATTRIBUTES.error);
  if (lagMs === null || lastRecordAgeMs === null || inFlight === null || state === null || error === null) return undefined;
  if (state !== undefined && !isShardActivity(state)) return undefined;
  return withoutUndefined({ lagMs, lastRecordAgeMs, inFlight, state, error });
}
