import { concatMap, map, of, type Observable } from 'rxjs';
import type { HeartbeatStats, ListGroupOptions, StateStore } from '../state-store/state-store.js';
import { byClientId, compareStrings } from '../state-store/store-values.js';
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
 * @param self This client's id: as the leader it needs no digests (see {@link ListGroupOptions.self}).
 */
export function listMembership(store: StateStore, app: string, since: number, call: StoreCall, stats = false, self?: string): Observable<Membership> {
  if (membershipOperation(store) === 'listGroup') {
    const options: ListGroupOptions = { ...(stats && { stats }), ...(self !== undefined && { self }) };
    return call('listGroup', () => store.listGroup!(app, new Date(since), options)).pipe(
      map((members) => {
        const sorted = [...members].sort(byClientId);
        const byId = new Map(sorted.flatMap((m) => (m.stats === undefined ? [] : [[m.clientId, m.stats] as const])));
        return { clients: sorted.map((m) => m.clientId), leaderDigests: sorted[0]?.digests, stats: byId };
      }),
    );
  }
  return call('listAliveClients', () => store.listAliveClients(app, new Date(since))).pipe(
    map((alive) => ({ clients: [...alive].sort(compareStrings), leaderDigests: undefined, stats: new Map<string, HeartbeatStats>() })),
  );
}

/**
 * {@link listMembership}, with a second listing when the first lacks a client of `known` (the
 * clients of the last view): a client counts as gone only when neither listing shows it, and the
 * answer is the union of both. A store whose index is updated in two steps (dynalite deletes a
 * client's old index entry before it writes the new one) can leave a heartbeating client out of
 * one Query; acting on that would hand its shards out for a round and take them back the next.
 * A client that left (its item deleted) or died is absent from both, and costs one more listing.
 */
export function confirmedMembership(
  list: () => Observable<Membership>,
  known: readonly string[],
): Observable<Membership> {
  return list().pipe(
    concatMap((first) => {
      const listed = new Set(first.clients);
      if (known.every((id) => listed.has(id))) return of(first);
      return list().pipe(map((second) => unionOf(first, second)));
    }),
  );
}

/** Both listings' clients, sorted; the leader's digests from a listing led by the same client (the later one first), and every member's stats, the later listing's where both have them. */
function unionOf(first: Membership, second: Membership): Membership {
  const clients = [...new Set([...first.clients, ...second.clients])].sort(compareStrings);
  const leader = clients[0];
  const leaderDigests = second.clients[0] === leader ? second.leaderDigests : first.clients[0] === leader ? first.leaderDigests : undefined;
  return { clients, leaderDigests, stats: new Map([...first.stats, ...second.stats]) };
}
