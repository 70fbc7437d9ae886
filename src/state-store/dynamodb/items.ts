/**
 * The items of the state-store table, in kinesumer's exact layout, as io-ts codecs.
 *
 * One table with string keys `pk` (HASH) and `sk` (RANGE) holds three kinds of item:
 *
 * | item        | pk                             | sk        | attributes                          |
 * |-------------|--------------------------------|-----------|-------------------------------------|
 * | client      | `client#<app>`                 | client id | `last_update` (S, RFC 3339)         |
 * | shard cache | `shard_cache#<app>`            | stream    | `shards` (L of M `{ID, Closed}`)    |
 * | checkpoint  | `check_point#<app>#<stream>`   | shard id  | `sequence_number` (S), `last_update`|
 *
 * The checkpoint item also holds the rest of the shard's state, in attributes kinesumer does not
 * know (and ignores): `owner` (S, the client holding the shard), `finished` (BOOL, the closed
 * shard was read to its end), `shard_start` (S, the shard's starting sequence number), and after a
 * seek `seek` (N, how many seeks), `seek_to` (S, the pending target) and `seek_after` (M: parent id
 * → N). An
 * acquired shard that has no checkpoint yet has no `sequence_number` until it is released; such
 * an item is a shard state, not a checkpoint (see {@link ShardStateItem}, {@link hasCheckpoint}).
 *
 * Inside a partly processed KPL aggregate, `sequence_number` stays a checkpoint kinesumer can
 * resume after (a record before the aggregate), and rx-kinesumer's own position is in
 * `aggregate_sequence_number` (S) and `sub_sequence_number` (N). Items of older versions have
 * `sub_sequence_number` next to the aggregate's own `sequence_number`; they are read as before.
 *
 * plus the local secondary index `index-client-key-last-update` (HASH `pk`, RANGE `last_update`).
 * Items written by the Go library are read here and the other way round: Go writes times with
 * `time.Time.MarshalText` (RFC3339Nano: 0 to 9 fraction digits, `Z` or a `±hh:mm` offset when the
 * process runs in a local time zone); this library writes `Date.toISOString()`.
 *
 * Each shard map may also carry `ParentShardId`, `AdjacentParentShardId` and
 * `StartingSequenceNumber`; kinesumer ignores map keys it does not know. Old kinesumer versions wrote the shard cache as a `shard_ids` string
 * list, which is still read when `shards` is absent.
 *
 * Codecs are `t.exact`, so unknown attributes are dropped on decode.
 */
import * as t from 'io-ts';
import { MalformedItemError } from '../../errors.js';
import type { CachedShard, ShardState } from '../state-store.js';
import { withoutUndefined } from '../store-values.js';
import { isSequenceNumber } from '../store-validation.js';

/** Partition key of the client items of `app`. */
export function clientKey(app: string): string {
  return `client#${app}`;
}

/** Partition key of the shard-cache items of `app` (one item per stream). */
export function shardCacheKey(app: string): string {
  return `shard_cache#${app}`;
}

/** Partition key of the checkpoint items of `stream` for `app` (one item per shard). */
export function checkpointKey(app: string, stream: string): string {
  return `check_point#${app}#${stream}`;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * Parses an RFC 3339 date-time as Go's `time.Time.MarshalText` writes it (any number of fraction
 * digits, `Z` or a numeric offset). Digits beyond milliseconds are dropped. Returns `undefined`
 * for anything else, including impossible dates such as February 30.
 *
 * `Date.parse` is not used because its accepted formats are implementation-defined.
 */
export function parseRfc3339(text: string): Date | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const offsetHours = m[10] === undefined ? 0 : Number(m[10]);
  const offsetMinutes = m[11] === undefined ? 0 : Number(m[11]);
  if (offsetHours > 23 || offsetMinutes > 59) return undefined;
  // Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear does not (Go's zero time is year 1).
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  if (date.getUTCDate() !== day) return undefined;
  const sign = m[9] === '-' ? -1 : 1;
  return new Date(date.getTime() - sign * (offsetHours * 60 + offsetMinutes) * 60_000);
}

/** A `Date` stored as an RFC 3339 string; encodes with `toISOString()` (UTC, milliseconds). */
export const Rfc3339Date = new t.Type<Date, string, unknown>(
  'RFC3339 date-time',
  (u): u is Date => u instanceof Date && !Number.isNaN(u.getTime()),
  (u, c) => {
    if (typeof u !== 'string') return t.failure(u, c);
    const date = parseRfc3339(u);
    return date === undefined ? t.failure(u, c) : t.success(date);
  },
  (d) => d.toISOString(),
);

/** A Kinesis sequence number: a non-empty string of decimal digits. */
export const SequenceNumber = new t.Type<string, string, unknown>(
  'decimal digit string',
  isSequenceNumber,
  (u, c) => (isSequenceNumber(u) ? t.success(u) : t.failure(u, c)),
  t.identity,
);

/**
 * A list of strings stored as `L` of `S` (how kinesumer's `[]string` is written) or as a string
 * set `SS` (which `unmarshall` turns into a `Set`). Only read, for the deprecated `shard_ids`.
 */
export const StringList = new t.Type<string[], string[], unknown>(
  'list of strings',
  (u): u is string[] => Array.isArray(u) && u.every((s) => typeof s === 'string'),
  (u, c) => {
    const values = u instanceof Set ? [...u] : u;
    return Array.isArray(values) && values.every((s) => typeof s === 'string') ? t.success([...values]) : t.failure(u, c);
  },
  (a) => [...a],
);

/** The key attributes every item has. */
const Key = t.type({ pk: t.string, sk: t.string });

/** A client's heartbeat: pk `client#<app>`, sk client id. */
export const ClientItem = t.exact(t.intersection([Key, t.type({ last_update: Rfc3339Date })]), 'ClientItem');
export type ClientItem = t.TypeOf<typeof ClientItem>;

/**
 * What a heartbeat carries besides `last_update` (attributes kinesumer does not know):
 * `checkpoints` (M: stream → M: shard id → S `seq` or `seq/sub`) and, from the leader, `digests`
 * (M: stream → S). Decoded apart from {@link ClientItem}: a malformed one must not make the
 * client look dead.
 */
export const ClientExtras = t.exact(
  t.partial({ checkpoints: t.record(t.string, t.record(t.string, t.string)), digests: t.record(t.string, t.string) }),
  'ClientItem',
);
export type ClientExtras = t.TypeOf<typeof ClientExtras>;

/**
 * The shard stats of a heartbeat (`stats`: M stream → M shard key → S `l1200,a350,f12`, see
 * `heartbeat-stats.ts`), decoded apart from the rest so that a bad entry costs only that entry.
 */
export const ClientStats = t.exact(t.partial({ stats: t.record(t.string, t.record(t.string, t.unknown)) }), 'ClientItem');

/**
 * One entry of a shard cache's `shards` list; kinesumer's `Shard{ID, Closed}` plus the parents
 * and the starting sequence number (all three absent in items kinesumer wrote).
 */
export const ShardEntry = t.exact(
  t.intersection([
    t.type({ ID: t.string, Closed: t.boolean }),
    t.partial({ ParentShardId: t.string, AdjacentParentShardId: t.string, StartingSequenceNumber: t.string }),
  ]),
  'Shard',
);
export type ShardEntry = t.TypeOf<typeof ShardEntry>;

/** The shard-cache entry of `shard`; absent fields are left out (kinesumer writes no nulls). */
export function shardEntryOf(shard: CachedShard): ShardEntry {
  return withoutUndefined({
    ID: shard.id,
    Closed: shard.closed,
    ParentShardId: shard.parentShardId,
    AdjacentParentShardId: shard.adjacentParentShardId,
    StartingSequenceNumber: shard.startingSequenceNumber,
  });
}

/** The {@link CachedShard} a shard-cache entry holds. */
export function cachedShardOfEntry(entry: ShardEntry): CachedShard {
  return withoutUndefined({
    id: entry.ID,
    closed: entry.Closed,
    parentShardId: entry.ParentShardId,
    adjacentParentShardId: entry.AdjacentParentShardId,
    startingSequenceNumber: entry.StartingSequenceNumber,
  });
}

/** The leader's shard list of one stream: pk `shard_cache#<app>`, sk stream. */
export const ShardCacheItem = t.exact(
  t.intersection([Key, t.partial({ shards: t.array(ShardEntry), shard_ids: StringList })]),
  'ShardCacheItem',
);
export type ShardCacheItem = t.TypeOf<typeof ShardCacheItem>;

/** A shard's checkpoint: pk `check_point#<app>#<stream>`, sk shard id. */
export const CheckpointItem = t.exact(
  t.intersection([Key, t.type({ sequence_number: SequenceNumber, last_update: Rfc3339Date })]),
  'CheckpointItem',
);
export type CheckpointItem = t.TypeOf<typeof CheckpointItem>;

/**
 * A sub-sequence number: a DynamoDB number (read with `wrapNumbers`, so it arrives as the SDK's
 * NumberValue), a non-negative integer.
 */
export const SubSequenceNumber = new t.Type<number, number, unknown>(
  'SubSequenceNumber',
  (u): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u >= 0,
  (u, c) => {
    const raw = typeof u === 'object' && u !== null && 'value' in u ? Number((u as { value: unknown }).value) : u;
    return typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0 ? t.success(raw) : t.failure(u, c, 'a non-negative integer');
  },
  t.identity,
);
/** The `seek` of each heartbeat checkpoint (`seeks`: M stream → M shard id → N), decoded apart from the rest. */
export const ClientSeeks = t.exact(t.partial({ seeks: t.record(t.string, t.record(t.string, SubSequenceNumber)) }), 'ClientItem');


/** The attributes of a checkpoint-partition item read as a shard's state (see {@link ShardStateItem}). */
const ShardStateAttributes = t.partial({
  sequence_number: SequenceNumber,
  aggregate_sequence_number: SequenceNumber,
  sub_sequence_number: SubSequenceNumber,
  last_update: Rfc3339Date,
  owner: t.string,
  finished: t.boolean,
  shard_start: t.string,
  seek: SubSequenceNumber,
  seek_to: t.string,
  seek_after: t.record(t.string, SubSequenceNumber),
});
const ShardStateFields = t.exact(t.intersection([Key, ShardStateAttributes]), 'ShardStateItem');

/** Names what an aggregate sequence number needs in a decoding error. */
const WITH_SUB = new t.Type<string>('a sequence number with a sub_sequence_number next to it', (_u): _u is string => false, t.failure, t.identity);

/**
 * The same item read as a shard's whole state: every attribute but the key is optional (an
 * acquired shard without a checkpoint has no `sequence_number`; kinesumer's items have no
 * `owner`, `finished` or `shard_start`), and `aggregate_sequence_number` comes only with a
 * `sub_sequence_number`.
 */
// A refinement (so that error paths look through it) whose failure names the attribute.
const hasSubWithAggregate = (item: t.TypeOf<typeof ShardStateFields>): boolean =>
  item.aggregate_sequence_number === undefined || item.sub_sequence_number !== undefined;
export const ShardStateItem = new t.RefinementType(
  'ShardStateItem',
  (u): u is t.TypeOf<typeof ShardStateFields> => ShardStateFields.is(u) && hasSubWithAggregate(u),
  (u, c) => {
    const decoded = ShardStateFields.validate(u, c);
    if (decoded._tag === 'Left' || hasSubWithAggregate(decoded.right)) return decoded;
    // rx-kinesumer writes the aggregate and its sub-sequence number together: one alone is no position
    const aggregate = decoded.right.aggregate_sequence_number;
    const attributes = t.appendContext(c, '1', ShardStateAttributes, u); // where io-ts reports the attributes too
    return t.failure(aggregate, t.appendContext(attributes, 'aggregate_sequence_number', WITH_SUB, aggregate));
  },
  ShardStateFields.encode,
  ShardStateFields,
  hasSubWithAggregate,
);
export type ShardStateItem = t.TypeOf<typeof ShardStateItem>;

/**
 * A decoded checkpoint-partition item as a {@link ShardState} (`finished` false when absent).
 * With `aggregate_sequence_number` (and its `sub_sequence_number`), the position is inside that
 * aggregate and `sequence_number` is kinesumer's checkpoint before it.
 */
export function shardStateOfItem(item: ShardStateItem): ShardState {
  const aggregate = item.aggregate_sequence_number;
  return withoutUndefined({
    shardId: item.sk,
    sequenceNumber: aggregate ?? item.sequence_number,
    subSequenceNumber: item.sub_sequence_number,
    precedingSequenceNumber: aggregate === undefined ? undefined : item.sequence_number,
    owner: item.owner,
    finished: item.finished ?? false,
    shardStart: item.shard_start,
    lastUpdate: item.last_update,
    seek: item.seek,
    seekTo: item.seek_to,
    seekAfter: item.seek_after,
  });
}

/**
 * Whether an unmarshalled checkpoint-partition item is meant to hold a checkpoint: it has a
 * `sequence_number` attribute (whatever its type; a bad one is reported when decoded as a
 * {@link CheckpointItem}). Items without one are shard states with no checkpoint yet, and are
 * not checkpoints, not malformed ones.
 */
export function hasCheckpoint(item: Record<string, unknown>): boolean {
  return item['sequence_number'] !== undefined;
}

/** The result of {@link decodeItem}: the decoded item, or why it was rejected. */
export type DecodedItem<A> = { ok: true; value: A } | { ok: false; error: MalformedItemError };

/**
 * Decodes one unmarshalled item with `codec`. A failure becomes a {@link MalformedItemError} that
 * names the item's key and every problem by path, in the style of io-ts-reporters:
 * `Expecting boolean at ShardCacheItem.shards.0.Closed but instead got: "no"`.
 *
 * ## Example
 * ```ts
 * import { CheckpointItem, decodeItem } from './items.js';
 * const r = decodeItem(CheckpointItem, { pk: 'check_point#app#s', sk: 'shardId-0' });
 * if (!r.ok) console.log(r.error.message);
 * ```
 * @param codec An item codec of this module.
 * @param item An item as `unmarshall` returns it.
 * @returns The decoded value, or the error to report.
 */
export function decodeItem<A, O>(codec: t.Type<A, O, unknown>, item: Record<string, unknown>): DecodedItem<A> {
  const result = codec.decode(item);
  if (result._tag === 'Right') return { ok: true, value: result.right };
  const key = { pk: keyPart(item['pk']), sk: keyPart(item['sk']) };
  return { ok: false, error: new MalformedItemError(key, describeErrors(codec.name, result.left)) };
}

function keyPart(value: unknown): string {
  return typeof value === 'string' ? value : '<missing>';
}

/** Formats io-ts errors as `Expecting <type> at <Root.path> but instead got: <value>`, one per problem. */
export function describeErrors(rootName: string, errors: t.Errors): string {
  const lines = errors.map((error) => {
    const path = [rootName];
    error.context.forEach((entry, i) => {
      if (i === 0) return;
      // Intersections and unions add an entry per member, keyed by index; those are not paths.
      const tag = innerTag(error.context[i - 1]?.type);
      if (tag === 'IntersectionType' || tag === 'UnionType') return;
      path.push(entry.key);
    });
    const expected = error.context[error.context.length - 1]?.type.name ?? 'a value';
    return `Expecting ${expected} at ${path.join('.')} but instead got: ${showValue(error.value)}`;
  });
  return [...new Set(lines)].join('; ');
}

/** The `_tag` of a codec, looking through `t.exact` and refinements (they add no context entry). */
function innerTag(codec: unknown): string | undefined {
  let current = codec as { _tag?: string; type?: unknown } | undefined;
  while (current?._tag === 'ExactType' || current?._tag === 'RefinementType' || current?._tag === 'ReadonlyType') {
    current = current.type as { _tag?: string; type?: unknown } | undefined;
  }
  return current?._tag;
}

/** A short rendering of a bad value; long values are cut so that a message stays one line. */
function showValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value instanceof Set) value = [...value];
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
