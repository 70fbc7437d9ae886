import type { KinesumerRecord } from '../record.js';
import type { ShardProgress } from './shard-progress.js';

/** The hidden link from a delivered record to its shard's progress. */
export const SHARD = Symbol('rx-kinesumer.shard');
/** The hidden position of a delivered record among its shard's deliveries (0, 1, 2, ...). */
export const ORDINAL = Symbol('rx-kinesumer.ordinal');
/**
 * Hidden on a user record of a KPL aggregate that is not the aggregate's last: its sub-sequence
 * number (marking it covers the aggregate only up to it). `undefined` on every other record.
 */
export const PARTIAL = Symbol('rx-kinesumer.partial');

/**
 * Hidden next to {@link PARTIAL}: a record before the aggregate that kinesumer (Go) can resume
 * after, written as the item's `sequence_number` while the aggregate is partly processed.
 */
export const PRECEDING = Symbol('rx-kinesumer.preceding');

/** A record as the reader builds it: the public fields plus the hidden shard link and position. */
export type LinkedRecord = KinesumerRecord & {
  readonly [SHARD]: ShardProgress;
  readonly [ORDINAL]: number;
  readonly [PARTIAL]: number | undefined;
  readonly [PRECEDING]: string | undefined;
};

/** The progress `record` was delivered with, or `undefined` for a value that is not a delivered record. */
export function progressOf(record: unknown): ShardProgress | undefined {
  return (record as Partial<LinkedRecord> | null | undefined)?.[SHARD];
}
