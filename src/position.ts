/**
 * Positions in a shard and their arithmetic: Kinesis sequence numbers are decimal strings of up
 * to 128 bits, compared as big integers without parsing them; a position inside a KPL aggregate
 * adds the sub-sequence number of its last processed user record.
 */

/** A position in a shard: the last processed record, and inside a KPL aggregate its last processed user record. */
export interface Position {
  sequenceNumber: string;
  /** The last processed user record of a partly processed aggregate; absent: the whole record. */
  subSequenceNumber?: number;
}

/** Decimal strings without leading zeros, compared as big integers. */
export function compareSequenceNumbers(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Whether position (`a`, `aSub`) is after (`b`, `bSub`); an `undefined` sub is the whole record. */
export function isAfterPosition(a: string, aSub: number | undefined, b: string | undefined, bSub: number | undefined): boolean {
  if (b === undefined) return true;
  if (a !== b) return compareSequenceNumbers(a, b) > 0;
  return bSub !== undefined && (aSub === undefined || aSub > bSub);
}

/** The position of record `sequenceNumber`, inside an aggregate up to `subSequenceNumber`. */
export function positionOf(sequenceNumber: string, subSequenceNumber: number | undefined): Position {
  return subSequenceNumber === undefined ? { sequenceNumber } : { sequenceNumber, subSequenceNumber };
}

/** `seq`, or `seq/sub` inside an aggregate: how a position is kept in a DynamoDB heartbeat item. */
export function encodePosition(position: Position): string {
  return position.subSequenceNumber === undefined ? position.sequenceNumber : `${position.sequenceNumber}/${position.subSequenceNumber}`;
}

const ENCODED = /^(0|[1-9][0-9]*)(?:\/(0|[1-9][0-9]*))?$/;

/** The position {@link encodePosition} wrote, or `undefined` when `text` is not one. */
export function decodePosition(text: unknown): Position | undefined {
  if (typeof text !== 'string') return undefined;
  const m = ENCODED.exec(text);
  if (!m) return undefined;
  const sub = m[2] === undefined ? undefined : Number(m[2]);
  if (sub !== undefined && !Number.isSafeInteger(sub)) return undefined;
  return positionOf(m[1]!, sub);
}

/**
 * Where a seek sends a shard (see `seekGroup`): its oldest record, its tip, the first record that
 * arrived at or after a time, or a record by sequence number.
 */
export type SeekTarget =
  | { type: 'TRIM_HORIZON' }
  | { type: 'LATEST' }
  | { type: 'AT_TIMESTAMP'; timestamp: Date }
  | { type: 'AT_SEQUENCE_NUMBER'; sequenceNumber: string };

/** A seek target as the shard's state keeps it: `TRIM_HORIZON`, `LATEST`, `AT_TIMESTAMP:<ISO time>`, `AT_SEQUENCE_NUMBER:<seq>`. */
export function encodeSeekTarget(target: SeekTarget): string {
  switch (target.type) {
    case 'TRIM_HORIZON':
    case 'LATEST':
      return target.type;
    case 'AT_TIMESTAMP':
      return `AT_TIMESTAMP:${target.timestamp.toISOString()}`;
    case 'AT_SEQUENCE_NUMBER':
      return `AT_SEQUENCE_NUMBER:${target.sequenceNumber}`;
  }
}

/** The target {@link encodeSeekTarget} wrote, or `undefined` when `text` is not one. */
export function decodeSeekTarget(text: unknown): SeekTarget | undefined {
  if (text === 'TRIM_HORIZON' || text === 'LATEST') return { type: text };
  if (typeof text !== 'string') return undefined;
  const [type, value] = [text.slice(0, text.indexOf(':')), text.slice(text.indexOf(':') + 1)];
  if (type === 'AT_SEQUENCE_NUMBER' && /^(0|[1-9][0-9]*)$/.test(value)) return { type, sequenceNumber: value };
  if (type === 'AT_TIMESTAMP' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(value)) {
    const timestamp = new Date(value);
    if (!Number.isNaN(timestamp.getTime()) && timestamp.toISOString() === value) return { type, timestamp };
  }
  return undefined;
}

/**
 * What a store holds of a position, as far as {@link wholeRecordBefore} needs it: the position, and
 * for a partly processed aggregate the record kinesumer resumes after.
 */
export interface KnownPosition {
  sequenceNumber?: string | undefined;
  precedingSequenceNumber?: string | undefined;
}

/**
 * A sequence number kinesumer (Go) can resume after without skipping any user record of the
 * partly processed aggregate at `sequenceNumber`: a record before it all of whose records up to it
 * were processed. kinesumer resumes AFTER_SEQUENCE_NUMBER and knows nothing of sub-sequence numbers,
 * so the aggregate's own sequence number would skip its unprocessed user records.
 *
 * From what is known, best first: a checkpoint before the aggregate (the aggregate was reached
 * after it, so it was processed whole); for a checkpoint inside this same aggregate, the record
 * kinesumer resumes after that was stored with it; else the shard's start (AFTER the starting
 * sequence number reads the shard from its beginning, as rx-kinesumer itself does for a shard with
 * state and no checkpoint); `undefined` when not even that is known.
 *
 * ## Example
 * ```ts
 * import { wholeRecordBefore } from './position.js';
 * wholeRecordBefore('300', { sequenceNumber: '200' }, '100'); // '200'
 * wholeRecordBefore('300', { sequenceNumber: '300', precedingSequenceNumber: '250' }, '100'); // '250'
 * wholeRecordBefore('300', {}, '100'); // '100'
 * ```
 * @param sequenceNumber The partly processed aggregate.
 * @param known The checkpoint known before it (the stored one, or the one reading resumed after).
 * @param shardStart The shard's starting sequence number, when known.
 * @returns The sequence number to store as kinesumer's checkpoint, if any is known.
 */
export function wholeRecordBefore(sequenceNumber: string, known: KnownPosition | undefined, shardStart: string | undefined): string | undefined {
  const stored = known?.sequenceNumber;
  if (stored !== undefined && compareSequenceNumbers(stored, sequenceNumber) < 0) return stored;
  if (stored === sequenceNumber && known?.precedingSequenceNumber !== undefined) return known.precedingSequenceNumber;
  return shardStart;
}
