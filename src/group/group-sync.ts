import {
  EMPTY,
  Observable,
  catchError,
  concatMap,
  defer,
  exhaustMap,
  from,
  ignoreElements,
  map,
  merge,
  mergeMap,
  of,
  tap,
  toArray,
  type ObservableInput,
  type SchedulerLike,
} from 'rxjs';
import { asStateStoreError, type KinesumerError } from '../errors.js';
import type { KinesisApi } from '../kinesis/kinesis-api.js';
import type { AssignmentStrategy } from './assign-stream.js';
import type { StateStore } from '../state-store/state-store.js';
import { FollowerCache, type FollowerPlan } from './follower-cache.js';
import { groupLoads } from './group-loads.js';
import { givenUpView, roundView, snapshotsOf, type GroupView, type StreamReading } from './group-view.js';
import { heartbeat, heartbeatClock } from './heartbeat.js';
import { LeaderDigests } from './leader-digests.js';
import { LeaderShardCache } from './leader-shard-cache.js';
import { Liveness } from './liveness.js';
import { aliveSince, confirmedMembership, listMembership, membershipOperation } from './membership.js';
import { PRUNE_EVERY, PruneCadence, pruneDeadClients } from './prune.js';
import { readPages } from './read-pages.js';
import { readStream } from './read-stream.js';
import type { ShardListSource } from './shard-list.js';
import { storeCall } from './store-call.js';

export type { Assignment, GroupView } from './group-view.js';

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
  /** How the shards are split among the clients. Default `'kinesumer'`. */
  assignment?: AssignmentStrategy;
  /**
   * Makes a sync round happen now (for `refresh()`); rounds never overlap, so a trigger while a
   * round runs is dropped and the next tick covers it.
   */
  triggers?: Observable<unknown>;
  /**
   * Writes the heartbeat in place of `store.pingClient`: with heartbeat commits, the checkpointer
   * writes it, carrying the marks. `digests` are this client's digests of its streams' shard lists
   * and states while it leads (see {@link LeaderDigests}), otherwise `undefined`.
   */
  beat?: (digests: Record<string, string> | undefined) => ObservableInput<unknown>;
}

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
 *
 * ## Example
 * ```ts
 * import { groupSync } from './group-sync.js';
 * groupSync({ app, clientId, store, kinesis, scheduler, syncInterval: 5000, clientTimeout: 10_000,
 *   streams: () => ['orders'], report: console.warn, initialLatest: true }).subscribe((view) => console.log(view.assignment));
 * ```
 */
export function groupSync(options: GroupSyncOptions): Observable<GroupView> {
  return defer(() => syncLoop(options));
}

/** One subscription's loop; its state lives here, one set per subscription. */
function syncLoop(options: GroupSyncOptions): Observable<GroupView> {
  const { app, clientId, store, kinesis, scheduler, syncInterval, clientTimeout, report } = options;
  const call = storeCall(clientTimeout, scheduler);
  const source: ShardListSource = { app, store, kinesis, call, timeout: clientTimeout, scheduler, report };
  const liveness = new Liveness(clientTimeout, scheduler);
  const digests = new LeaderDigests();
  const followed = new FollowerCache();
  const leaderCache = new LeaderShardCache();
  const prunes = new PruneCadence(PRUNE_EVERY * syncInterval);
  // The last view emitted: a stream that cannot be listed in a round keeps its assignment from it.
  let previous: GroupView | undefined;

  const beat = heartbeat({
    operation: options.beat ? 'heartbeat' : 'pingClient',
    write: (at) => (options.beat ? options.beat(digests.current) : store.pingClient(app, clientId, new Date(at))),
    call,
    liveness,
    report,
  });

  // A follower reads a stream only when the leader's digest (or a trigger) says it must, and of a
  // stream of many pages only the pages that changed.
  const reading$ = (stream: string, leader: boolean, leaderDigest: string | undefined, full: boolean): Observable<[string, StreamReading]> => {
    const plan: FollowerPlan = leader ? { kind: 'read' } : followed.plan(stream, leaderDigest, full, store.getShardPage !== undefined);
    if (plan.kind === 'reuse') return of([stream, plan.snapshot]);
    const read$ = plan.kind === 'pages' ? readPages(source, stream, plan.snapshot, plan.pages, plan.leaderDigest) : readStream(source, stream, leader, leaderCache);
    return read$.pipe(
      tap((reading) => followed.remember(stream, reading)),
      map((reading): [string, StreamReading] => [stream, reading]),
    );
  };

  // `full`: read every stream's shard list and states even where the leader's digest says they
  // did not change (a round made by a trigger: this client finished a shard, or refresh()).
  const round = (full: boolean): Observable<GroupView> =>
    defer(() => {
      const at = scheduler.now();
      const streams = [...new Set(options.streams())];
      const regaining = liveness.isRegaining(at);
      // Whether the others count this client dead as the round starts. Read now, not when the
      // answers come: a round started while the store was out of reach may be answered after a
      // heartbeat got through, and must not then act on a membership list from the outage.
      const stale = liveness.isStale(at);
      const operation = membershipOperation(store);
      const balanced = options.assignment === 'balanced';
      followed.startRound();
      const since = aliveSince(at, clientTimeout, regaining ? liveness.lostAt : undefined);
      return confirmedMembership(() => listMembership(store, app, since, call, balanced, clientId), previous?.clients ?? []).pipe(
        concatMap(({ clients, leaderDigests, stats }) => {
          const index = stale ? -1 : clients.indexOf(clientId);
          const leader = index === 0;
          if (!leader) leaderCache.forget();
          const pruning = prunes.due(at, leader, regaining);
          return merge(
            from(streams).pipe(mergeMap((stream) => reading$(stream, leader, leaderDigests?.[stream], full))),
            pruning ? pruneDeadClients(store, app, at - clientTimeout, call, report) : EMPTY,
          ).pipe(
            toArray(),
            map((readings) => {
              const loads = balanced ? groupLoads(stats, snapshotsOf(readings)) : undefined;
              const view = roundView({ clients, index, leader, at }, readings, previous, options.initialLatest, options.assignment, loads);
              // Only a heartbeat written through `beat` carries the digests; with followers, at once.
              if (options.beat) digests.publish(leader ? view.streams : undefined, clients.length > 1);
              return view;
            }),
          );
        }),
        catchError((err: unknown) => {
          report(asStateStoreError(err, operation));
          // Without a heartbeat for clientTimeout the others count us dead and take our shards:
          // stop reading them even while the store cannot be reached.
          return liveness.isStale(at) ? of(givenUpView(at)) : EMPTY;
        }),
      );
    });

  // A round follows every heartbeat attempt, so it sees its own heartbeat; a trigger makes one too.
  const rounds$ = merge(heartbeatClock(beat, syncInterval, scheduler).pipe(map(() => false)), (options.triggers ?? EMPTY).pipe(map(() => true))).pipe(
    exhaustMap(round),
  );
  // New digests go out at once, in a heartbeat of their own that starts no round.
  const publishing$ = digests.changed$.pipe(
    exhaustMap(() => beat(scheduler.now())),
    ignoreElements(),
  );

  return merge(rounds$, liveness.expired$.pipe(map((at) => givenUpView(at))), publishing$).pipe(tap((view) => (previous = view)));
}
