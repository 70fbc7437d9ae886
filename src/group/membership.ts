import { map, type Observable } from 'rxjs';
import type { HeartbeatStats, StateStore } from '../state-store/state-store.js';
import type { StoreCall } from './store-call.js';

/** The alive group as one round lists it. */
export interface Membership {
  /** Alive client ids, sorted: index 0 leads. */
  clients: string[];
  /** The digests the leader's last heartbeat carried; `undefined` without them or without `listGroup`. */
  leaderDigests: Record<string, string> | undefined;
  /** Each member's shard stats, when asked for and the store has `listGroup`; empty otherwise. */
  stats: Map<string, HeartbeatStats>;
}

/** The store call that lists the group: `listGroup` (members with their digests) where the store has it. */
export function membershipOperation(store: StateStore): 'listGroup' | 'listAliveClients' {
  return store.listGroup ? 'listGroup' : 'listAliveClients';
}

/**
 * Since when a client must have written its heartbeat to count as alive in a round at `at`:
 * `clientTimeout` before, or, while regaining the store after an outage, `clientTimeout` before
 * this client's last heartbeat before the outage (`lostAt`): the others could not write theirs
 * either.
 *
 * @param lostAt This client's last heartbeat before the outage it is regaining from; `undefined` when not regaining.
 */
export function aliveSince(at: number, clientTimeout: number, lostAt: number | undefined): number {
  return (lostAt === undefined ? at : Math.min(at, lostAt)) - clientTimeout;
}

/**
 * Lists the clients whose heartbeat is newer than `since`, sorted by id, with the leader's
 * digests (and, with `stats`, every member's shard stats) when the store has `listGroup`.
 *
 * @param since ms since the epoch, by the scheduler's clock.
 * @param stats Read the members' shard stats too (the `'balanced'` assignment needs them).
 */
export function listMembership(store: StateStore, app: string, since: number, call: StoreCall, stats = false): Observable<Membership> {
  if (membershipOperation(store) === 'listGroup') {
    return call('listGroup', () => (stats ? store.listGroup!(app, new Date(since), { stats }) : store.listGroup!(app, new Date(since)))).pipe(
      map((members) => {
        const sorted = [...members].sort((a, b) => (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0));
        const byId = new Map(sorted.flatMap((m) => (m.stats === undefined ? [] : [[m.clientId, m.stats] as const])));
        return { clients: sorted.map((m) => m.clientId), leaderDigests: sorted[0]?.digests, stats: byId };
      }),
    );
  }
  return call('listAliveClients', () => store.listAliveClients(app, new Date(since))).pipe(
    map((alive) => ({ clients: [...alive].sort(), leaderDigests: undefined, stats: new Map<string, HeartbeatStats>() })),
  );
}
