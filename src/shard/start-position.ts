import type { InitialPosition } from '../config/kinesumer-config.js';
import { KinesumerError } from '../errors.js';
import { decodeSeekTarget } from '../position.js';
import { inheritsReading, isStale, staleCheckpointError, type StreamSnapshot } from '../group/shard-lineage.js';
import type { StartPosition } from '../kinesis/kinesis-api.js';
import type { ShardState } from '../state-store/state-store.js';

/** Where reading a just-taken shard starts, and the checkpoint it resumes after. */
export interface ShardStart {
  start: StartPosition;
  /** The stored checkpoint when it is valid for this shard; `undefined` when reading starts without one. */
  resumeAfter: string | undefined;
  /** With `resumeAfter`: the last processed user record of a partly processed aggregate at it. */
  resumeSub: number | undefined;
  /** With `resumeSub`: kinesumer's checkpoint stored with it (a record before the aggregate), if any. */
  resumePreceding: string | undefined;
}

/**
 * Where to read a shard this client just took, from its state in the store:
 * - after the stored checkpoint, or at it when an aggregate there was only partly processed
 *   (its processed user records are skipped when it is read again);
 * - a checkpoint written for an older shard of the same id (a stream deleted and created again)
 *   is reported and ignored;
 * - the target of a pending seek, whatever sequence number is stored with it;
 * - without a checkpoint, TRIM_HORIZON when the group read the shard's lineage (a child of a split
 *   or merge that happened while it consumed), else the configured initial position.
 *
 * @param state The shard's state as the take returned it.
 * @param snapshot The stream's shard list and states from the last sync round, if any.
 * @param initialPosition The configured `initialPosition`.
 * @param report Where an ignored stale checkpoint is reported.
 */
export function startPosition(
  stream: string,
  state: ShardState,
  snapshot: StreamSnapshot | undefined,
  initialPosition: InitialPosition,
  report: (err: KinesumerError) => void,
): ShardStart {
  const shard = snapshot?.shards.find((s) => s.id === state.shardId);
  // A pending seek wins over the stored sequence number: that is the shard's start (written for
  // kinesumer, which knows no seeks, or by a release), not a position read under the seek.
  const sought = state.seekTo === undefined ? undefined : decodeSeekTarget(state.seekTo);
  if (state.seekTo !== undefined && sought === undefined) {
    report(new KinesumerError('SEEK_MALFORMED', `The seek target "${state.seekTo}" of shard ${state.shardId} of stream "${stream}" cannot be read: it is ignored`));
  }
  if (sought !== undefined && !state.finished) return { start: sought, resumeAfter: undefined, resumeSub: undefined, resumePreceding: undefined };
  const valid = state.sequenceNumber !== undefined && !isStale(state, shard?.startingSequenceNumber) ? state.sequenceNumber : undefined;
  if (state.sequenceNumber !== undefined && valid === undefined) report(staleCheckpointError(stream, state, shard));
  if (valid !== undefined) {
    const sub = state.subSequenceNumber;
    // inside a partly processed KPL aggregate: read it again and skip what was processed
    const start: StartPosition = { type: sub !== undefined ? 'AT_SEQUENCE_NUMBER' : 'AFTER_SEQUENCE_NUMBER', sequenceNumber: valid };
    return { start, resumeAfter: valid, resumeSub: sub, resumePreceding: sub === undefined ? undefined : state.precedingSequenceNumber };
  }
  const start: StartPosition = snapshot && inheritsReading(snapshot, state.shardId) ? { type: 'TRIM_HORIZON' } : initialStart(initialPosition);
  return { start, resumeAfter: undefined, resumeSub: undefined, resumePreceding: undefined };
}

/** The Kinesis start position of the configured initial position. */
export function initialStart(position: InitialPosition): StartPosition {
  if (position === 'LATEST') return { type: 'LATEST' };
  if (position === 'TRIM_HORIZON') return { type: 'TRIM_HORIZON' };
  return { type: 'AT_TIMESTAMP', timestamp: position.timestamp };
}
