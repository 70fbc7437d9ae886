/**
 * What the metrics recorder keeps per shard, and the two rules it applies to it: what a heartbeat
 * says of the shard ({@link statsOf}) and when the shard counts as stalled ({@link stallOf}).
 */
import type { ShardStats } from '../state-store/state-store.js';
import { shardActivity, type ReadFailure, type ShardProbe } from './shard-activity.js';
import { sampleRate, type ShardRate } from './shard-rate.js';

/** Per-shard counters. Kept after the shard leaves, so exported totals never go backwards. */
export interface ShardCounters {
  stream: string;
  shardId: string;
  owned: boolean;
  records: number;
  bytes: number;
  checkpointed: number;
  millisBehindLatest: number | undefined;
  lastRecordAt: number | undefined;
  /** The approximate arrival time of the last delivered record, ms since the epoch. */
  lastArrivalAt: number | undefined;
  calls: number;
  throttles: number;
  /** The session waits to take the shard (assigned, not yet taken). */
  taking: boolean;
  /** When this client last took the shard (scheduler time). */
  takenAt: number | undefined;
  /** The smoothed read throughput since it was taken ({@link sampleRate}). */
  rate: ShardRate | undefined;
  /** The last failed Kinesis call on the shard, until one succeeds. */
  readFailure: ReadFailure | undefined;
  /** A record the processing operators retry. */
  retrying: string | undefined;
  /** Reported stalled and nothing delivered since; the error code it was reported with. */
  stalled: boolean;
  stallCode: string | undefined;
  /** Stalls reported. */
  stalls: number;
}

/** The counters of a shard this client has not done anything with yet. */
export function newShardCounters(stream: string, shardId: string): ShardCounters {
  return {
    stream,
    shardId,
    owned: false,
    records: 0,
    bytes: 0,
    checkpointed: 0,
    millisBehindLatest: undefined,
    lastRecordAt: undefined,
    lastArrivalAt: undefined,
    calls: 0,
    throttles: 0,
    taking: false,
    takenAt: undefined,
    rate: undefined,
    readFailure: undefined,
    retrying: undefined,
    stalled: false,
    stallCode: undefined,
    stalls: 0,
  };
}

/**
 * What a heartbeat says of the shard ({@link ShardStats}): its activity, and for an owned shard the
 * last lag, the age of the last delivered record at `now`, the records in flight, and with `rates`
 * its smoothed throughput and how long it has been held (what the `'balanced'` assignment weighs).
 */
export function statsOf(c: ShardCounters, now: number, probe: ShardProbe | undefined, rates = false): ShardStats {
  const progress = c.owned ? probe?.progress(c.stream, c.shardId) : undefined;
  const { state, error } = shardActivity({
    taking: c.taking && !c.owned,
    paused: c.owned && probe?.paused(c.stream, c.shardId) === true,
    readFailure: c.readFailure,
    retrying: c.retrying,
    progress,
    stalled: c.stalled,
    stallCode: c.stallCode,
  });
  const stats: ShardStats = { state };
  if (error !== undefined) stats.error = error;
  if (!c.owned) return stats;
  if (c.millisBehindLatest !== undefined) stats.lagMs = c.millisBehindLatest;
  if (c.lastArrivalAt !== undefined) stats.lastRecordAgeMs = Math.max(0, now - c.lastArrivalAt);
  if (progress !== undefined) stats.inFlight = progress.inFlight;
  if (rates && c.takenAt !== undefined && c.rate !== undefined) {
    const { recordsPerSec, bytesPerSec } = sampleRate(c.rate, now, c.records, c.bytes);
    if (now > c.takenAt) Object.assign(stats, { recordsPerSec, bytesPerSec, heldMs: now - c.takenAt });
  }
  return stats;
}

/** A shard that became stalled. */
export interface Stall {
  stream: string;
  shardId: string;
  /** The last `MillisBehindLatest`, if a read ever succeeded. */
  millisBehindLatest: number | undefined;
  /** Time since the shard was taken or last delivered a record, ms. */
  idleMs: number;
  /** The code of the last failed Kinesis call, when reading fails. */
  error: string | undefined;
}

/**
 * Whether an owned shard becomes stalled at `now`: not paused, behind the tip by its last read
 * (`MillisBehindLatest` > 0) or unable to read at all, and nothing delivered for `timeout` ms since
 * it was taken or last delivered. Marks it stalled (once per stall) and returns the stall.
 */
export function stallOf(c: ShardCounters, now: number, timeout: number, probe: ShardProbe | undefined): Stall | undefined {
  if (!c.owned || c.stalled || c.takenAt === undefined) return undefined;
  if (probe?.paused(c.stream, c.shardId) === true) return undefined;
  const behind = (c.millisBehindLatest ?? 0) > 0 || c.readFailure !== undefined;
  const idleMs = now - Math.max(c.takenAt, c.lastRecordAt ?? Number.NEGATIVE_INFINITY);
  if (!behind || idleMs < timeout) return undefined;
  c.stalled = true;
  c.stalls += 1;
  c.stallCode = c.readFailure?.code;
  return { stream: c.stream, shardId: c.shardId, millisBehindLatest: c.millisBehindLatest, idleMs, error: c.stallCode };
}
