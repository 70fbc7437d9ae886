/**
 * What a client is doing with a shard it holds or waits for, as its heartbeat and metrics say:
 * the one rule that turns what the reader, the checkpoint tracking, the pause control and the
 * processing operators know into one {@link ShardActivity} with its error code.
 */
import { compareSequenceNumbers } from '../position.js';
import type { ShardActivity } from '../state-store/state-store.js';

/** How a shard's progress looks from outside: what {@link ShardProbe.progress} gives. */
export interface ProgressView {
  /** Records delivered and not yet marked. */
  readonly inFlight: number;
  /** The reader waits for room under `polling.maxInFlight`. */
  readonly heldBack: boolean;
  /** The sequence number of the last marked record, while the shard is held. */
  readonly markedSequenceNumber: string | undefined;
}

/** What the recorder asks about a shard besides its own counters. */
export interface ShardProbe {
  /** The shard's progress while this client holds it. */
  progress(stream: string, shardId: string): ProgressView | undefined;
  /** Whether reading it is paused (`consumer.pause()`). */
  paused(stream: string, shardId: string): boolean;
}

/** The last failure of a Kinesis call on the shard, until a call succeeds again. */
export interface ReadFailure {
  /** The SDK's name of Kinesis's refusal (`InvalidArgumentException`), or the library's code. */
  code: string;
  /** Kinesis refused the position reading starts from (the stored checkpoint or a seek's target). */
  rejected: boolean;
}

/** Everything {@link shardActivity} decides on. */
export interface ActivityFacts {
  taking: boolean;
  paused: boolean;
  readFailure: ReadFailure | undefined;
  /** The sequence number of a record the processing operators are retrying. */
  retrying: string | undefined;
  progress: ProgressView | undefined;
  stalled: boolean;
  /** The code of the error a stall was last reported with. */
  stallCode: string | undefined;
}

/**
 * The shard's activity, the most telling first: taking, paused, a position Kinesis rejects, failing
 * Kinesis calls, a record being retried (until a mark passes it), backpressure, a stall, and
 * otherwise reading.
 *
 * @param facts What is known about the shard now.
 * @returns The activity, with the error code where there is one.
 */
export function shardActivity(facts: ActivityFacts): { state: ShardActivity; error?: string } {
  if (facts.taking) return { state: 'taking' };
  if (facts.paused) return { state: 'paused' };
  if (facts.readFailure !== undefined) return { state: facts.readFailure.rejected ? 'checkpointRejected' : 'cannotRead', error: facts.readFailure.code };
  const marked = facts.progress?.markedSequenceNumber;
  if (facts.retrying !== undefined && (marked === undefined || compareSequenceNumbers(marked, facts.retrying) < 0)) return { state: 'failingRecords' };
  if (facts.progress?.heldBack === true) return { state: 'backpressure' };
  if (facts.stalled) return facts.stallCode === undefined ? { state: 'stalled' } : { state: 'stalled', error: facts.stallCode };
  return { state: 'reading' };
}
