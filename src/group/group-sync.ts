import {
  EMPTY,
  Observable,
  catchError,
  concat,
  concatMap,
  ignoreElements,
  defer,
  endWith,
  exhaustMap,
  forkJoin,
  from,
  map,
  merge,
  mergeMap,
  of,
  Subject,
  switchMap,
  tap,
  throwError,
  timeout,
  timer,
  toArray,
  type ObservableInput,
  type SchedulerLike,
} from 'rxjs';
import { KinesisError, KinesumerError, StateStoreError, StreamNotFoundError, asKinesisError, describeCause } from '../errors.js';
import type { KinesisApi, ShardDescription } from '../kinesis/kinesis-api.js';
import type { CachedShard, StateStore } from '../state-store/state-store.js';
import { assignShards } from './assignment.js';
import { readableShards, removableStates, snapshotOf, staleCheckpointError, type StreamSnapshot } from './shard-lineage.js';
import { snapshotDigest } from './snapshot-digest.js';

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

/** What the group sync needs. */
export interface GroupSyncOptions {
  app: string;
  clientId: string;
  store: StateStore;
  kinesis: KinesisApi;
  scheduler: SchedulerLike;
  syncInterval: number;
  clientTimeout: number;
  /** The streams consumed now; read at the start of every round. */
  streams: () => readonly string[];
  /** Every non-fatal problem goes here. */
  report: (err: KinesumerError) => void;
  /** The initial position is LATEST: closed shards whose lineage was never read are skipped. */
  initialLatest: boolean;
  /**
   * Makes a sync round happen now (for `refresh()`); rounds never overlap, so a trigger while a
   * round runs is dropped and the next tick covers it.
   */
  triggers?: Observable<unknown>;
  /**
   * Writes the heartbeat in place of `store.pingClient`: with heartbeat commits, the checkpointer
   * writes it, carrying the marks. `digests` are this client's digests of its streams' shard lists
   * and states while it leads (see {@link snapshotDigest}), otherwise `undefined`.
   */
  beat?: (digests: Record<string, string> | undefined) => ObservableInput<unknown>;
}

/**
 * A follower whose snapshot of a stream matches the leader's digest skips reading the stream's
 * shard list and states, but still reads them every this many rounds.
 */
const FULL_READ_EVERY = 12;

/**
 * The leader prunes dead clients at its first round as leader and then at the first round at
 * least this many sync intervals after the last prune. Nothing waits for it: a dead client counts
 * as dead by its heartbeat whether or not its item is still there, and whoever takes its shards
 * starts after its heartbeat checkpoints either way.
 */
const PRUNE_EVERY = 6;

/**
 * The group's heartbeat and membership loop, kinesumer's `loopSyncClient`, as an Observable:
 * every `syncInterval` (and at once on subscribe) it pings this client's heartbeat, lists the
 * alive clients, lets the leader (index 0) refresh every stream's shard cache from ListShards and
 * prune dead clients, and computes this client's shards. It emits one {@link GroupView} per
 * completed round. A failed round is reported and emits nothing, so the previous assignment
 * stands, except that a client whose heartbeat has not been written for `clientTimeout` gives up
 * its shards (an empty view), whether or not the store answers: the rest of the group already
 * counts it as dead.
 *
 * Leader-only work is idempotent, so two clients that both briefly think they lead do no harm.
 */
export function groupSync(options: GroupSyncOptions): Observable<GroupView> {
  return defer(() => syncLoop(options));
}

/** One subscription's loop: its own heartbeat clock. */
function syncLoop(options: GroupSyncOptions): Observable<GroupView> {
  const { app, clientId, store, kinesis, scheduler, syncInterval, clientTimeout, report } = options;
  // A hung call must not stall the loop forever; past clientTimeout the group counts us dead anyway.
  const callTimeout = clientTimeout;

  const call = <T>(operation: string, fn: () => ObservableInput<T>): Observable<T> =>
    defer(fn).pipe(
      timeout({
        each: callTimeout,
        with: () => {
          throw new StateStoreError(operation, `no answer within ${callTimeout} ms`, { retriable: true });
        },
        scheduler,
      }),
      catchError((err: unknown) => throwError(() => asError(err, operation))),
    );

  // The last time this client's heartbeat was written, by the scheduler's clock.
  let lastBeat = Number.NEGATIVE_INFINITY;
  // When this client could write its heartbeat again after a gap of clientTimeout or more (the
  // store was out of reach), and its last heartbeat before the gap. The others' heartbeats are
  // likely as old as its own then: for one clientTimeout it counts as alive the clients that were
  // alive when it lost the store, and prunes nobody, rather than take the whole group for dead
  // and grab every shard before the others are back.
  let regainedAt = Number.NEGATIVE_INFINITY;
  let lostAt = Number.NEGATIVE_INFINITY;
  const beats = new Subject<number>();
  // While leading: the digest of each stream's snapshot, which the heartbeat publishes. When
  // they change, a heartbeat goes out at once so that followers do not wait a round for it.
  let digests: Record<string, string> | undefined;
  const digestsChanged = new Subject<void>();
  // As a follower: the snapshot of each stream last read, its digest, and rounds since it was read.
  const known = new Map<string, { digest: string; snapshot: StreamSnapshot; rounds: number }>();
  // The last view emitted: a stream that cannot be listed in a round keeps its assignment from it.
  let previous: GroupView | undefined;
  // When this client last pruned as leader; forgotten on losing the lead, so a new leader prunes at once.
  let prunedAt = Number.NEGATIVE_INFINITY;
  const gaveUp = (at: number): GroupView => ({ clients: [], index: -1, leader: false, assignment: {}, streams: {}, at });

  // clientTimeout after the last written heartbeat the others count this client dead: give every
  // shard up at that moment, even if a round is still waiting on a store that does not answer.
  const watchdog$ = beats.pipe(
    switchMap((beat) => timer(Math.max(0, beat + clientTimeout - scheduler.now()), scheduler)),
    map(() => gaveUp(scheduler.now())),
  );

  const beatOperation = options.beat ? 'heartbeat' : 'pingClient';
  const ping = (now: number) =>
    call(beatOperation, () =>
      options.beat ? options.beat(digests) : store.pingClient(app, clientId, new Date(now)),
    ).pipe(
      // One value once written, whatever the call emitted on the way.
      ignoreElements(),
      endWith(undefined),
      tap(() => {
        if (lastBeat > Number.NEGATIVE_INFINITY && now - lastBeat >= clientTimeout) {
          lostAt = lastBeat;
          regainedAt = now;
        }
        lastBeat = now;
        beats.next(now);
      }),
      catchError((err: unknown) => {
        report(asError(err, beatOperation));
        return of(undefined);
      }),
    );

  const fromKinesis = (stream: string): Observable<CachedShard[]> =>
    kinesis.listShards(stream).pipe(
      timeout({
        each: callTimeout,
        with: () => {
          throw new KinesisError('ListShards', stream, undefined, `no answer within ${callTimeout} ms`, { retriable: true });
        },
        scheduler,
      }),
      map((described) => described.map(toCachedShard).sort(byId)),
      catchError((err: unknown) => throwError(() => asKinesisError(err, 'ListShards', stream))),
    );

  // The leader lists every stream's shards from Kinesis and updates the cache where it changed.
  const leaderShards = (stream: string): Observable<CachedShard[] | undefined> =>
    forkJoin([fromKinesis(stream), call('getShards', () => store.getShards(app, stream))]).pipe(
      concatMap(([fresh, cached]) =>
        sameShards(fresh, cached)
          ? of(fresh)
          : call('updateShards', () => store.updateShards(app, stream, fresh)).pipe(
              map(() => fresh),
              catchError((err: unknown) => {
                report(asError(err, 'updateShards'));
                return of(fresh);
              }),
            ),
      ),
    );

  // Others read the leader's cache; before the leader wrote one, they ask Kinesis, as kinesumer does.
  const followerShards = (stream: string): Observable<CachedShard[] | undefined> =>
    call('getShards', () => store.getShards(app, stream)).pipe(
      concatMap((cached) => (cached === undefined ? fromKinesis(stream) : of(cached.slice().sort(byId)))),
    );

  // One stream's shard list and shard states; the leader also deletes states nobody needs.
  // A stream's entry in a round: its snapshot; `undefined` when it could not be listed this round
  // (the previous assignment of it stands); `null` when it does not exist (it has no shards).
  const snapshotOf$ = (stream: string, leader: boolean, leaderDigest: string | undefined, full: boolean): Observable<[string, StreamSnapshot | undefined | null]> => {
    const cached = known.get(stream);
    if (!leader && !full && cached !== undefined && leaderDigest === cached.digest && cached.rounds < FULL_READ_EVERY) {
      cached.rounds++;
      return of([stream, cached.snapshot]);
    }
    return read$(stream, leader).pipe(
      tap(([, snapshot]) => {
        if (snapshot) known.set(stream, { digest: snapshotDigest(snapshot), snapshot, rounds: 0 });
        else known.delete(stream);
      }),
    );
  };

  const read$ = (stream: string, leader: boolean): Observable<[string, StreamSnapshot | undefined | null]> =>
    forkJoin([
      leader ? leaderShards(stream) : followerShards(stream),
      call('listShardStates', () => store.listShardStates(app, stream)),
    ]).pipe(
      concatMap(([shards, states]) => {
        if (shards === undefined) return of<[string, StreamSnapshot | undefined | null]>([stream, undefined]);
        const snapshot = snapshotOf(shards, states);
        const removable = leader ? removableStates(snapshot) : [];
        // The leader deletes them below, before any reader could see and report them.
        if (leader) {
          for (const state of states) {
            if (state.sequenceNumber !== undefined && snapshot.stale.includes(state.shardId)) {
              report(staleCheckpointError(stream, state, shards.find((s) => s.id === state.shardId)));
            }
          }
        }
        const cleanup =
          removable.length === 0
            ? EMPTY
            : call('deleteShardStates', () => store.deleteShardStates(app, stream, removable)).pipe(
                ignoreElements(),
                catchError((err: unknown) => {
                  report(asError(err, 'deleteShardStates'));
                  return EMPTY;
                }),
              );
        const { stale: _stale, ...view } = snapshot;
        return concat(cleanup, of<[string, StreamSnapshot | undefined | null]>([stream, view]));
      }),
      catchError((err: unknown) => {
        report(asError(err, 'shard list'));
        return of<[string, StreamSnapshot | undefined | null]>([stream, err instanceof StreamNotFoundError ? null : undefined]);
      }),
    );

  const prune = (now: number) =>
    call('pruneClients', () => store.pruneClients(app, new Date(now - clientTimeout))).pipe(
      catchError((err: unknown) => {
        report(asError(err, 'pruneClients'));
        return EMPTY;
      }),
    );

  // `full`: read every stream's shard list and states even where the leader's digest says they
  // did not change (a round made by a trigger: this client finished a shard, or refresh()).
  const round = (full: boolean): Observable<GroupView> =>
    defer(() => {
      const at = scheduler.now();
      const streams = [...new Set(options.streams())];
      const regaining = at - regainedAt < clientTimeout;
      // Whether the others count this client dead as the round starts. Read now, not when the
      // answers come: a round started while the store was out of reach may be answered after a
      // heartbeat got through, and must not then act on a membership list from the outage.
      const stale = at - lastBeat >= clientTimeout;
      const aliveSince = (regaining ? Math.min(at, lostAt) : at) - clientTimeout;
      const listing = store.listGroup ? 'listGroup' : 'listAliveClients';
      const listing$: Observable<{ clients: string[]; leaderDigests: Record<string, string> | undefined }> = store.listGroup
        ? call('listGroup', () => store.listGroup!(app, new Date(aliveSince))).pipe(
            map((members) => {
              const sorted = [...members].sort((a, b) => (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0));
              return { clients: sorted.map((m) => m.clientId), leaderDigests: sorted[0]?.digests };
            }),
          )
        : call('listAliveClients', () => store.listAliveClients(app, new Date(aliveSince))).pipe(
            map((alive) => ({ clients: [...alive].sort(), leaderDigests: undefined })),
          );
      return listing$.pipe(
        concatMap(({ clients, leaderDigests }) => {
          const index = stale ? -1 : clients.indexOf(clientId);
          const leader = index === 0;
          const pruning = leader && !regaining && at - prunedAt >= PRUNE_EVERY * syncInterval;
          if (pruning) prunedAt = at;
          else if (!leader) prunedAt = Number.NEGATIVE_INFINITY;
          return merge(
            from(streams).pipe(mergeMap((stream) => snapshotOf$(stream, leader, leaderDigests?.[stream], full))),
            pruning ? prune(at).pipe(mergeMap(() => EMPTY)) : EMPTY,
          ).pipe(
            toArray(),
            map((entries): GroupView => {
              const assignment: Assignment = {};
              const snapshots: Record<string, StreamSnapshot> = {};
              for (const [stream, snapshot] of entries) {
                if (snapshot === null) continue; // the stream does not exist (reported above)
                if (snapshot === undefined) {
                  // Not listed this round (reported above): its previous assignment stands, so
                  // that a Kinesis or store hiccup does not make this client drop its shards.
                  const kept = previous?.streams[stream];
                  if (kept !== undefined && index >= 0) {
                    snapshots[stream] = kept;
                    assignment[stream] = previous?.assignment[stream] ?? [];
                  }
                  continue;
                }
                snapshots[stream] = snapshot;
                assignment[stream] = assignShards(readableShards(snapshot, options.initialLatest), clients.length, index);
              }
              publish(leader ? snapshots : undefined);
              return { clients, index, leader, assignment, streams: snapshots, at };
            }),
          );
        }),
        catchError((err: unknown) => {
          report(asError(err, listing));
          // Without a heartbeat for clientTimeout the others count us dead and take our shards:
          // stop reading them even while the store cannot be reached.
          return at - lastBeat >= clientTimeout ? of(gaveUp(at)) : EMPTY;
        }),
      );
    });

  // The leader's digests for the next heartbeat (only with `beat`: only a heartbeat carries them).
  const publish = (snapshots: Record<string, StreamSnapshot> | undefined) => {
    if (!options.beat) return;
    const next = snapshots === undefined ? undefined : Object.fromEntries(Object.entries(snapshots).map(([stream, snapshot]) => [stream, snapshotDigest(snapshot)]));
    const changed = JSON.stringify(next) !== JSON.stringify(digests);
    digests = next;
    if (changed && next !== undefined) digestsChanged.next();
  };

  // The heartbeat keeps its own clock: a round still waiting on a slow ListShards or store call
  // must not hold the next heartbeat back (the others would count this client dead while it is
  // alive and reading). A round follows every heartbeat attempt, so it sees its own heartbeat.
  const heartbeat$ = timer(0, syncInterval, scheduler).pipe(exhaustMap(() => ping(scheduler.now())));
  // New digests go out at once, in a heartbeat of their own that starts no round.
  const publishing$ = digestsChanged.pipe(
    exhaustMap(() => ping(scheduler.now())),
    ignoreElements(),
  );

  return merge(
    merge(heartbeat$.pipe(map(() => false)), (options.triggers ?? EMPTY).pipe(map(() => true))).pipe(exhaustMap(round)),
    watchdog$,
    publishing$,
  ).pipe(tap((view) => (previous = view)));
}

function toCachedShard(shard: ShardDescription): CachedShard {
  const cached: CachedShard = { id: shard.shardId, closed: shard.closed };
  if (shard.startingSequenceNumber) cached.startingSequenceNumber = shard.startingSequenceNumber;
  if (shard.parentShardId) cached.parentShardId = shard.parentShardId;
  if (shard.adjacentParentShardId) cached.adjacentParentShardId = shard.adjacentParentShardId;
  return cached;
}

function byId(a: CachedShard, b: CachedShard): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function sameShards(a: readonly CachedShard[], b: readonly CachedShard[] | undefined): boolean {
  if (b === undefined || a.length !== b.length) return false;
  const sortedB = b.slice().sort(byId);
  return a.every((s, i) => {
    const o = sortedB[i]!;
    return (
      s.id === o.id &&
      s.closed === o.closed &&
      s.parentShardId === o.parentShardId &&
      s.adjacentParentShardId === o.adjacentParentShardId &&
      s.startingSequenceNumber === o.startingSequenceNumber
    );
  });
}

function asError(err: unknown, operation: string): KinesumerError {
  if (err instanceof KinesumerError) return err;
  const name = (err as { name?: string } | undefined)?.name;
  if (name === 'TimeoutError') return new StateStoreError(operation, 'timed out', { cause: err, retriable: true });
  return new StateStoreError(operation, describeCause(err), { cause: err, retriable: true });
}
