/**
 * A consumer group as the state store sees it: the registered clients with the age of their last
 * heartbeat, the leader, and per stream each shard with its owner, open/closed/finished,
 * checkpoint, the lag its owner publishes, and why it is (not) moving. What `kinesumer status`
 * prints; the demo draws its live view from it too.
 */
import { from, lastValueFrom } from 'rxjs';
import { snapshotOf } from '../group/shard-lineage.js';
import { withHeartbeatCheckpoints } from '../state-store/heartbeat-checkpoints.js';
import type { CachedShard, ClientHeartbeat, ShardState, StateStore } from '../state-store/state-store.js';
import { shardReason, type ClientView, type ShardStatusCode } from './shard-reason.js';

export type { ShardStatusCode } from './shard-reason.js';

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
  /** How many times the shard was sought (`kinesumer seek`); 0: never. */
  seek: number;
  /** Where a seek sends it while nobody committed after it (`TRIM_HORIZON`, `AT_TIMESTAMP:...`), else `null`. */
  seekTo: string | null;
  /** `MillisBehindLatest` of the owner's last read, from its heartbeat; `null` when it published none. */
  lagMs: number | null;
  /** How old the last record the owner delivered is now (its approximate arrival time), ms; `null` when unknown. */
  lastRecordAgeMs: number | null;
  /** Records the owner delivered and its pipeline has not marked yet; `null` when unknown. */
  inFlight: number | null;
  /** What the shard is doing (see {@link ShardStatusCode}). */
  status: ShardStatusCode;
  /** Why, in a sentence: `waiting for parent shardId-000000000000 to finish`. */
  reason: string;
}

/** The group's figures for one stream. */
export interface StreamTotal {
  /** The largest lag of its shards, ms (lags are not additive); `null` when no owner published one. */
  lagMs: number | null;
  /** The oldest last-delivered record among its shards, ms; `null` when unknown. */
  lastRecordAgeMs: number | null;
  /** Records in flight over all its shards. */
  inFlight: number;
  /** How many shards have each status. */
  statuses: Partial<Record<ShardStatusCode, number>>;
}

/** One stream of the group. */
export interface StreamStatus {
  stream: string;
  /** Whether the leader wrote a shard list for the stream yet. */
  listed: boolean;
  shards: ShardStatus[];
  total: StreamTotal;
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
  const group: GroupHeartbeats = {
    heartbeats,
    clients: new Map(heartbeats.map((h) => [h.clientId, { lastUpdate: h.lastUpdate, alive: alive.has(h.clientId) }])),
    now,
    clientTimeout,
  };

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
    streams: streams.map(({ stream, shards, states }) => {
      const statuses = shardStatuses(stream, shards ?? [], withHeartbeatCheckpoints(stream, shards ?? [], states, heartbeats), group);
      return { stream, listed: shards !== undefined, shards: statuses, total: streamTotal(statuses) };
    }),
  };
}

/** The heartbeats and what follows from them, as the shard statuses need them. */
interface GroupHeartbeats {
  heartbeats: readonly ClientHeartbeat[];
  clients: ReadonlyMap<string, ClientView>;
  now: Date;
  clientTimeout: number;
}

/** The figures of a stream: the largest lag and age, the records in flight, the statuses counted. */
function streamTotal(shards: readonly ShardStatus[]): StreamTotal {
  const largest = (values: (number | null)[]) => values.reduce<number | null>((max, v) => (v === null ? max : max === null ? v : Math.max(max, v)), null);
  const statuses: Partial<Record<ShardStatusCode, number>> = {};
  for (const s of shards) statuses[s.status] = (statuses[s.status] ?? 0) + 1;
  return {
    lagMs: largest(shards.map((s) => s.lagMs)),
    lastRecordAgeMs: largest(shards.map((s) => s.lastRecordAgeMs)),
    inFlight: shards.reduce((sum, s) => sum + (s.inFlight ?? 0), 0),
    statuses,
  };
}

/** The listed shards in list order, then the shards that have only state, by id. */
function shardStatuses(stream: string, shards: readonly CachedShard[], states: readonly ShardState[], group: GroupHeartbeats): ShardStatus[] {
  const { clients, now, clientTimeout } = group;
  const stateOf = new Map(states.map((s) => [s.shardId, s]));
  const listed = new Set(shards.map((s) => s.id));
  const snapshot = snapshotOf([...shards], states);
  // Who publishes what about each shard of this stream: owners their stats, takers that they wait.
  const published = new Map<string, { clientId: string; stats: NonNullable<ClientHeartbeat['stats']>[string][string] }[]>();
  for (const h of group.heartbeats) {
    if (clients.get(h.clientId)?.alive !== true) continue;
    for (const [shardId, stats] of Object.entries(h.stats?.[stream] ?? {})) published.set(shardId, [...(published.get(shardId) ?? []), { clientId: h.clientId, stats }]);
  }
  const status = (shardId: string, shard: CachedShard | undefined): ShardStatus => {
    const state = stateOf.get(shardId);
    const owner = state?.owner ?? null;
    const mine = published.get(shardId) ?? [];
    const ownerStats = mine.find((p) => p.clientId === owner && p.stats.state !== 'taking')?.stats;
    const takers = mine.filter((p) => p.stats.state === 'taking').map((p) => p.clientId);
    const { status: code, reason } = shardReason({ shardId, shard, state, snapshot, clients, ownerStats, takers, claimed: new Set(published.keys()), now, clientTimeout });
    const ownerBeat = owner === null ? undefined : clients.get(owner);
    const beatAge = ownerBeat === undefined ? 0 : Math.max(0, now.getTime() - ownerBeat.lastUpdate.getTime());
    return {
      shardId,
      parentShardId: shard?.parentShardId ?? null,
      adjacentParentShardId: shard?.adjacentParentShardId ?? null,
      state: state?.finished ? 'finished' : shard === undefined ? 'unlisted' : shard.closed ? 'closed' : 'open',
      owner,
      ownerAlive: owner === null ? null : ownerBeat?.alive === true,
      checkpoint: state?.sequenceNumber ?? null,
      lastUpdate: state?.lastUpdate?.toISOString() ?? null,
      seek: state?.seek ?? 0,
      seekTo: state?.seekTo ?? null,
      lagMs: ownerStats?.lagMs ?? null,
      // the age was measured when the heartbeat was written: it has grown since
      lastRecordAgeMs: ownerStats?.lastRecordAgeMs === undefined ? null : ownerStats.lastRecordAgeMs + beatAge,
      inFlight: ownerStats?.inFlight ?? null,
      status: code,
      reason,
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
