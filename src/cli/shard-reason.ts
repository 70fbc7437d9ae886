/**
 * Why a shard is (not) moving, as `kinesumer status` says it: from the state store alone (the
 * shard's state and lineage, its holder's heartbeat, and the shard stats every member publishes
 * in its heartbeat), one {@link ShardStatusCode} and a sentence.
 */
import { isDone, parentsOf, type StreamSnapshot } from '../group/shard-lineage.js';
import type { CachedShard, ShardActivity, ShardState, ShardStats } from '../state-store/state-store.js';

/**
 * What a shard is doing, for `status`:
 * - what its owner's heartbeat says: `reading`, `paused`, `backpressure`, `checkpointRejected`,
 *   `cannotRead`, `failingRecords`, `stalled`;
 * - `waitingForParent`: not readable until a parent is read to its end (order per key);
 * - `waitingToTake`: assigned to a client that has not taken it yet;
 * - `ownerDead`: held by a client whose heartbeat is older than the client timeout;
 * - `unowned`: nobody holds or takes it;
 * - `finished`: read to its end; `unlisted`: state for a shard the shard list does not name.
 */
export type ShardStatusCode =
  | Exclude<ShardActivity, 'taking'>
  | 'waitingForParent'
  | 'waitingToTake'
  | 'ownerDead'
  | 'unowned'
  | 'finished'
  | 'unlisted';

/** A shard's status and the sentence that explains it. */
export interface ShardReason {
  status: ShardStatusCode;
  reason: string;
}

/** A client as the reasons need it: its last heartbeat and whether it is alive. */
export interface ClientView {
  lastUpdate: Date;
  alive: boolean;
}

/** Everything {@link shardReason} decides on. */
export interface ShardReasonInput {
  shardId: string;
  /** The shard in the list; `undefined`: not listed. */
  shard: CachedShard | undefined;
  state: ShardState | undefined;
  /** The stream's shards and states, for the lineage. */
  snapshot: StreamSnapshot;
  /** Every registered client by id. */
  clients: ReadonlyMap<string, ClientView>;
  /** What the owner's heartbeat says of the shard. */
  ownerStats: ShardStats | undefined;
  /** The alive clients whose heartbeat says they wait to take the shard. */
  takers: readonly string[];
  /** Shards some client holds or takes: a closed parent nobody reads was skipped (initial position LATEST). */
  claimed: ReadonlySet<string>;
  now: Date;
  clientTimeout: number;
}

/**
 * The status of one shard, the most telling reason first.
 *
 * @param input The shard and what the group's heartbeats say of it.
 * @returns Its status and a sentence for the table.
 */
export function shardReason(input: ShardReasonInput): ShardReason {
  const { shard, state, clients, takers, now, clientTimeout } = input;
  if (state?.finished) return { status: 'finished', reason: 'read to its end' };
  if (shard === undefined) return { status: 'unlisted', reason: 'not in the shard list (state left by a deleted stream?)' };
  const owner = state?.owner;
  const taker = takers.find((id) => id !== owner);
  if (owner !== undefined) {
    const held = clients.get(owner);
    if (held === undefined || !held.alive) {
      const since = held === undefined ? 'it is no longer registered' : `dead since ${new Date(held.lastUpdate.getTime() + clientTimeout).toISOString()}`;
      if (taker !== undefined) return { status: 'waitingToTake', reason: `assigned to ${taker} but not taken yet: held by ${owner}, ${since}` };
      return { status: 'ownerDead', reason: `owner ${owner} ${since}` };
    }
    if (taker !== undefined) {
      const left = Math.max(0, held.lastUpdate.getTime() + clientTimeout - now.getTime());
      return {
        status: 'waitingToTake',
        reason: `assigned to ${taker} but not taken yet: held by ${owner} until it lets go or its heartbeat ages out (in ${seconds(left)})`,
      };
    }
    return ownerReason(input.ownerStats);
  }
  const parent = blockingParent(input);
  if (parent !== undefined) return { status: 'waitingForParent', reason: `waiting for parent ${parent} to finish` };
  if (taker !== undefined) return { status: 'waitingToTake', reason: `assigned to ${taker}, not taken yet` };
  const anyAlive = [...clients.values()].some((c) => c.alive);
  return { status: 'unowned', reason: anyAlive ? 'nobody holds it or takes it' : 'nobody holds it: no client is alive' };
}

/** What the owner's heartbeat says, in words. */
function ownerReason(stats: ShardStats | undefined): ShardReason {
  const state = stats?.state ?? 'reading';
  const error = stats?.error;
  switch (state) {
    case 'reading':
    case 'taking':
      return { status: 'reading', reason: 'reading' };
    case 'paused':
      return { status: 'paused', reason: 'paused by its owner (consumer.pause())' };
    case 'backpressure':
      return { status: 'backpressure', reason: `held back by backpressure: ${stats?.inFlight ?? '?'} records in flight, at the bound (polling.maxInFlight)` };
    case 'checkpointRejected':
      return { status: 'checkpointRejected', reason: `checkpoint rejected by Kinesis (${error ?? 'unknown code'})` };
    case 'cannotRead':
      return { status: 'cannotRead', reason: `cannot read: Kinesis calls fail (${error ?? 'unknown code'})` };
    case 'failingRecords':
      return { status: 'failingRecords', reason: 'failing records: the processing retries a record of it' };
    case 'stalled':
      return { status: 'stalled', reason: `stalled: behind the tip and nothing delivered for metrics.stallTimeout${error === undefined ? '' : ` (${error})`}` };
  }
}

/** The first listed parent that is not read to its end yet, if any. */
function blockingParent(input: ShardReasonInput): string | undefined {
  const { shard, snapshot, claimed } = input;
  if (shard === undefined) return undefined;
  const listed = new Map(snapshot.shards.map((s) => [s.id, s]));
  return parentsOf(shard).find((id) => {
    const parent = listed.get(id);
    if (parent === undefined || isDone(snapshot, id, false)) return false;
    // A closed parent nobody ever read or takes: a group starting at LATEST skips it.
    return !(parent.closed && !snapshot.states.has(id) && !claimed.has(id));
  });
}

/** `ms` as seconds with one decimal. */
export function seconds(ms: number): string {
  return ms < 100_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}
