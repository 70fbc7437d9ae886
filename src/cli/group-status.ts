/**
 * A consumer group as the state store sees it: the registered clients with the age of their last
 * heartbeat, the leader, and per stream each shard with its owner, open/closed/finished and
 * checkpoint. What `kinesumer status` prints; the demo draws its live view from it too.
 */
import { from, lastValueFrom } from 'rxjs';
import { withHeartbeatCheckpoints } from '../state-store/heartbeat-checkpoints.js';
import type { CachedShard, ShardState, StateStore } from '../state-store/state-store.js';

/** One registered client. */
export interface ClientStatus {
  clientId: string;
  /** Its last heartbeat, ISO 8601. */
  lastHeartbeat: string;
  heartbeatAgeMs: number;
  /** The heartbeat is younger than the client timeout: the group counts the client as a member. */
  alive: boolean;
  /** Index 0 of the sorted alive ids: the client that keeps the shard list and prunes dead clients. */
  leader: boolean;
}

/**
 * - `open`: readable now.
 * - `closed`: closed by a split or merge, not yet read to its end.
 * - `finished`: closed and read to its end; nobody reads it again.
 * - `unlisted`: the group has state for it but the shard list does not name it (state left by a
 *   deleted stream, or a finished shard the list dropped).
 */
export type ShardCondition = 'open' | 'closed' | 'finished' | 'unlisted';

/** One shard of a stream. */
export interface ShardStatus {
  shardId: string;
  parentShardId: string | null;
  adjacentParentShardId: string | null;
  state: ShardCondition;
  /** The client that holds the shard, `null` when nobody does. */
  owner: string | null;
  /** Whether the owner's heartbeat is younger than the client timeout; `null` without owner. */
  ownerAlive: boolean | null;
  /** The sequence number of the last processed record, `null` before the first commit. */
  checkpoint: string | null;
  /** When the shard's state was last written, ISO 8601. */
  lastUpdate: string | null;
}

/** One stream of the group. */
export interface StreamStatus {
  stream: string;
  /** Whether the leader wrote a shard list for the stream yet. */
  listed: boolean;
  shards: ShardStatus[];
}

/** The group at one moment. */
export interface GroupStatus {
  app: string;
  /** When it was read, ISO 8601. */
  time: string;
  /** The heartbeat age after which a client counts as dead, ms. */
  clientTimeoutMs: number;
  /** The leader's id, `null` when no client is alive. */
  leader: string | null;
  clients: ClientStatus[];
  streams: StreamStatus[];
}

/** Options of {@link readGroupStatus}. */
export interface ReadGroupStatusOptions {
  app: string;
  streams: readonly string[];
  /** The group's `clientTimeout`, ms. */
  clientTimeout: number;
  now: Date;
}

/**
 * Reads the group's clients and the shard list and shard states of each stream (one listing per
 * stream, in parallel).
 *
 * ## Example
 * ```ts
 * import { readGroupStatus } from './group-status.js';
 * const status = await readGroupStatus(store, { app: 'demo', streams: ['orders'], clientTimeout: 10000, now: new Date() });
 * console.log(status.leader, status.streams[0]?.shards.map((s) => s.owner));
 * ```
 * @param store A state store with `listClients`.
 * @param options The app, its streams, the client timeout and the time to measure ages from.
 * @returns The group's status.
 */
export async function readGroupStatus(store: StateStore, options: ReadGroupStatusOptions): Promise<GroupStatus> {
  const { app, clientTimeout, now } = options;
  if (store.listClients === undefined) throw new Error('this state store cannot list clients (no listClients method)');
  const [heartbeats, streams] = await Promise.all([
    lastValueFrom(from(store.listClients(app))),
    Promise.all(
      options.streams.map(async (stream) => {
        const [shards, states] = await Promise.all([
          lastValueFrom(from(store.getShards(app, stream))),
          lastValueFrom(from(store.listShardStates(app, stream))),
        ]);
        return { stream, shards, states };
      }),
    ),
  ]);

  const alive = new Set<string>();
  for (const { clientId, lastUpdate } of heartbeats) if (now.getTime() - lastUpdate.getTime() < clientTimeout) alive.add(clientId);
  const leader = [...alive].sort(compareStrings)[0] ?? null;

  return {
    app,
    time: now.toISOString(),
    clientTimeoutMs: clientTimeout,
    leader,
    clients: heartbeats.map(({ clientId, lastUpdate }) => ({
      clientId,
      lastHeartbeat: lastUpdate.toISOString(),
      heartbeatAgeMs: Math.max(0, now.getTime() - lastUpdate.getTime()),
      alive: alive.has(clientId),
      leader: clientId === leader,
    })),
    streams: streams.map(({ stream, shards, states }) => ({
      stream,
      listed: shards !== undefined,
      shards: shardStatuses(shards ?? [], withHeartbeatCheckpoints(stream, shards ?? [], states, heartbeats), alive),
    })),
  };
}

/** The listed shards in list order, then the shards that have only state, by id. */
function shardStatuses(shards: readonly CachedShard[], states: readonly ShardState[], alive: ReadonlySet<string>): ShardStatus[] {
  const stateOf = new Map(states.map((s) => [s.shardId, s]));
  const listed = new Set(shards.map((s) => s.id));
  const status = (shardId: string, shard: CachedShard | undefined): ShardStatus => {
    const state = stateOf.get(shardId);
    const owner = state?.owner ?? null;
    return {
      shardId,
      parentShardId: shard?.parentShardId ?? null,
      adjacentParentShardId: shard?.adjacentParentShardId ?? null,
      state: state?.finished ? 'finished' : shard === undefined ? 'unlisted' : shard.closed ? 'closed' : 'open',
      owner,
      ownerAlive: owner === null ? null : alive.has(owner),
      checkpoint: state?.sequenceNumber ?? null,
      lastUpdate: state?.lastUpdate?.toISOString() ?? null,
    };
  };
  return [
    ...shards.map((shard) => status(shard.id, shard)),
    ...states
      .filter((s) => !listed.has(s.shardId))
      .map((s) => s.shardId)
      .sort(compareStrings)
      .map((id) => status(id, undefined)),
  ];
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
