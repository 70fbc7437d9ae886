/**
 * A shard's read throughput, smoothed: what a client publishes in its heartbeat for the
 * `'balanced'` assignment to weigh the shard by.
 */

/** The time constant of the smoothing, ms: a change of load shows about fully after a few minutes. */
export const RATE_TIME_CONSTANT = 60_000;

/** Samples closer together than this do not update the average, ms. */
const MIN_SAMPLE_MS = 1000;

/** The smoothing state of one held shard. */
export interface ShardRate {
  /** When the shard was taken (scheduler time): the average starts there. */
  since: number;
  /** The last sample: when, and the shard's record and byte totals then. */
  at: number;
  records: number;
  bytes: number;
  /** The exponential averages, before the start-up correction. */
  recordsPerSec: number;
  bytesPerSec: number;
}

/** A rate that starts now, from the shard's current totals. */
export function startRate(now: number, records: number, bytes: number): ShardRate {
  return { since: now, at: now, records, bytes, recordsPerSec: 0, bytesPerSec: 0 };
}

/**
 * Brings `rate` up to `now` with the shard's totals and returns its smoothed records and bytes per
 * second: an exponential average over irregular samples (each weighted by `1 - e^(-dt/τ)`),
 * divided by the weight the average has had since the shard was taken (`1 - e^(-held/τ)`), so
 * that a shard just taken shows its real rate at once rather than one growing from zero (a new
 * owner must not look idle to the others and be given more).
 */
export function sampleRate(rate: ShardRate, now: number, records: number, bytes: number): { recordsPerSec: number; bytesPerSec: number } {
  const dt = now - rate.at;
  if (dt >= MIN_SAMPLE_MS) {
    const alpha = 1 - Math.exp(-dt / RATE_TIME_CONSTANT);
    rate.recordsPerSec += alpha * (((records - rate.records) * 1000) / dt - rate.recordsPerSec);
    rate.bytesPerSec += alpha * (((bytes - rate.bytes) * 1000) / dt - rate.bytesPerSec);
    Object.assign(rate, { at: now, records, bytes });
  }
  const weight = 1 - Math.exp(-(rate.at - rate.since) / RATE_TIME_CONSTANT);
  if (weight <= 0) return { recordsPerSec: 0, bytesPerSec: 0 };
  return { recordsPerSec: rate.recordsPerSec / weight, bytesPerSec: rate.bytesPerSec / weight };
}
