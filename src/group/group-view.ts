import { assignStream, type AssignmentStrategy, type GroupLoads } from './assign-stream.js';
import { readableShards, type StreamSnapshot } from './shard-lineage.js';

/** Shard ids this client owns, per stream. */
export type Assignment = Record<string, string[]>;

/** What one sync round saw of the group. */
export interface GroupView {
  /** Alive client ids, sorted. */
  clients: string[];
  /** This client's index among them; -1 when it is not (yet, or any more) among them. */
  index: number;
  leader: boolean;
  /** This client's shards, per stream. */
  assignment: Assignment;
  /** The shard lists and shard states the assignment was computed from, per stream. */
  streams: Record<string, StreamSnapshot>;
  /** `scheduler.now()` when the round started. */
  at: number;
}

/**
 * What a round read of one stream: its snapshot; `undefined` when it could not be listed this
 * round (reported; the previous assignment of it stands); `null` when it does not exist (it has
 * no shards).
 */
export type StreamReading = StreamSnapshot | undefined | null;

/** The snapshots a round read, by stream (streams not read, or that do not exist, left out). */
export function snapshotsOf(readings: ReadonlyArray<readonly [stream: string, reading: StreamReading]>): Record<string, StreamSnapshot> {
  const out: Record<string, StreamSnapshot> = {};
  for (const [stream, reading] of readings) if (reading) out[stream] = reading;
  return out;
}

/** Where this client stands in a round: the alive clients, its index among them, and when the round started. */
export type RoundPlace = Pick<GroupView, 'clients' | 'index' | 'leader' | 'at'>;

/**
 * The view of a client that gives every shard up at `at`: the rest of the group counts it dead
 * (its heartbeat is `clientTimeout` old), so it must not read any shard.
 */
export function givenUpView(at: number): GroupView {
  return { clients: [], index: -1, leader: false, assignment: {}, streams: {}, at };
}

/**
 * The view a round emits: per stream, this client's share of the readable shards under `strategy`. A stream that
 * could not be listed keeps its snapshot and assignment from `previous`, so that a Kinesis or
 * store hiccup does not make the client drop its shards (unless it is not among the clients); a
 * stream that does not exist is left out.
 *
 * @param place The round's membership and this client's place in it.
 * @param readings What the round read of each stream.
 * @param previous The last view emitted, if any.
 * @param initialLatest The initial position is LATEST (see {@link readableShards}).
 * @param strategy How the readable shards are split ({@link AssignmentStrategy}). Default `'kinesumer'`.
 * @param loads The shard loads the round's heartbeats published (`'balanced'`).
 */
export function roundView(
  place: RoundPlace,
  readings: ReadonlyArray<readonly [stream: string, reading: StreamReading]>,
  previous: GroupView | undefined,
  initialLatest: boolean,
  strategy: AssignmentStrategy = 'kinesumer',
  loads?: GroupLoads,
): GroupView {
  const { clients, index, leader, at } = place;
  const assignment: Assignment = {};
  const streams: Record<string, StreamSnapshot> = {};
  for (const [stream, snapshot] of readings) {
    if (snapshot === null) continue;
    if (snapshot === undefined) {
      const kept = previous?.streams[stream];
      if (kept !== undefined && index >= 0) {
        streams[stream] = kept;
        assignment[stream] = previous?.assignment[stream] ?? [];
      }
      continue;
    }
    streams[stream] = snapshot;
    assignment[stream] = assignStream(strategy, stream, readableShards(snapshot, initialLatest), snapshot, clients, index, loads);
  }
  return { clients, index, leader, assignment, streams, at };
}
