/**
 * The shard stats a heartbeat carries ({@link Heartbeat.stats}): the rules both stores apply to
 * them, and their compact form in a DynamoDB item (per shard, a short key and one string of
 * lettered fields, so that each owned shard adds about 20 to 40 bytes to the heartbeat write and no
 * request).
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
 * The letter of each {@link ShardStats} field in a DynamoDB heartbeat item, where one shard's stats
 * are one string of comma-separated fields, each a letter and its value: `l1200,a350,f12` (lag,
 * last-record age, in flight), `spaused`, `echeckpointRejected`... New fields take a letter of
 * their own; a reader ignores letters it does not know.
 */
export const STATS_LETTERS = {
  lagMs: 'l',
  lastRecordAgeMs: 'a',
  inFlight: 'f',
  state: 's',
  error: 'e',
  recordsPerSec: 'q',
  bytesPerSec: 'v',
  heldMs: 'h',
} as const satisfies Record<keyof ShardStats, string>;

const NUMERIC = ['lagMs', 'lastRecordAgeMs', 'inFlight', 'heldMs'] as const;
/** Rates: kept to two significant digits (clients reading them a moment apart then agree), not rounded to integers. */
const RATES = ['recordsPerSec', 'bytesPerSec'] as const;

/** `value` to two significant digits. */
function twoDigits(value: number): number {
  return value === 0 ? 0 : Number(value.toPrecision(2));
}

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
  for (const field of RATES) {
    const value = stats[field];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new StateStoreError('heartbeat', `stats.${field} of shard ${shardId} of stream "${stream}" is not a non-negative number`);
    }
    out[field] = twoDigits(value);
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

/** One shard's stats as the DynamoDB item keeps them: `l1200,a350,f12` (see {@link STATS_LETTERS}). */
export function encodeShardStats(stats: ShardStats): string {
  const fields: string[] = [];
  for (const [field, letter] of Object.entries(STATS_LETTERS) as [keyof ShardStats, string][]) {
    const value = stats[field];
    if (value !== undefined) fields.push(`${letter}${String(value).replace(/,/g, ' ')}`);
  }
  return fields.join(',');
}

/**
 * The stats an item's string holds, or `undefined` when it is not one (not a string, a number that
 * is not one, an unknown state). Letters this version does not know are ignored.
 */
export function decodeShardStats(raw: unknown): ShardStats | undefined {
  if (typeof raw !== 'string') return undefined;
  const out: ShardStats = {};
  const letters = new Map<string, keyof ShardStats>(Object.entries(STATS_LETTERS).map(([field, letter]) => [letter, field as keyof ShardStats]));
  for (const part of raw === '' ? [] : raw.split(',')) {
    const field = letters.get(part[0] ?? '');
    const value = part.slice(1);
    if (field === undefined) continue;
    if (field === 'state' || field === 'error') {
      if (field === 'state' && !isShardActivity(value)) return undefined;
      Object.assign(out, { [field]: value });
      continue;
    }
    const rate = field === 'recordsPerSec' || field === 'bytesPerSec';
    if (!(rate ? /^\d+(\.\d+)?(e[+-]?\d+)?$/ : /^\d+$/).test(value)) return undefined;
    out[field] = Number(value);
  }
  return withoutUndefined(out);
}

const STANDARD_SHARD_ID = /^shardId-(\d{12})$/;

/**
 * The key of a shard's stats in the item: the number of a standard shard id (`shardId-000000000012`
 * is `12`), so that each shard costs a few bytes, or the id itself otherwise (never all digits).
 */
export function statsKey(shardId: string): string {
  const m = STANDARD_SHARD_ID.exec(shardId);
  return m === null ? shardId : String(Number(m[1]));
}

/** The shard id of a key of {@link statsKey}. */
export function shardIdOfStatsKey(key: string): string {
  return /^\d{1,12}$/.test(key) ? `shardId-${key.padStart(12, '0')}` : key;
}

/** A heartbeat's stats as the item keeps them: stream → {@link statsKey} → {@link encodeShardStats}. */
export function encodeStats(stats: HeartbeatStats): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const [stream, shards] of Object.entries(stats)) {
    out[stream] = Object.fromEntries(Object.entries(shards).map(([shardId, value]) => [statsKey(shardId), encodeShardStats(value)]));
  }
  return out;
}

/** The stats of an item's map ({@link encodeStats}); entries that cannot be read are passed to `bad` and left out. */
export function decodeStats(raw: Record<string, Record<string, unknown>>, bad: (stream: string, key: string) => void): HeartbeatStats {
  const out: HeartbeatStats = {};
  for (const [stream, shards] of Object.entries(raw)) {
    for (const [key, value] of Object.entries(shards)) {
      const stats = decodeShardStats(value);
      if (stats === undefined) bad(stream, key);
      else (out[stream] ??= {})[shardIdOfStatsKey(key)] = stats;
    }
  }
  return out;
}
