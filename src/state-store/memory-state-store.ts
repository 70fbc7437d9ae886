/**
 * A {@link StateStore} in memory, with the same semantics as the DynamoDB one, for tests and
 * for a consumer group of one process.
 */
import { Subject, defer, of, throwError, type Observable } from 'rxjs';
import type { KinesumerError } from '../errors.js';
import { isAlive, isExpired } from './client-liveness.js';
import { pruneTakeover, shardEntries } from './heartbeat-checkpoints.js';
import { applyShardChange, commitChange, releaseChange, seekChange } from './shard-change.js';
import { shardPages, inRange } from './shard-pages.js';
import { SHARD_CACHE_PAGE_SIZE, type AcquireRequest, type CachedShard, type Checkpoint, type ClientHeartbeat, type GroupMember, type Heartbeat, type ListGroupOptions, type ShardCommit, type ShardIdRange, type ShardSeek, type ShardState, type StateStore } from './state-store.js';
import { copyDate, copyState, entry, sortedCheckpoints, sortedStates, toCheckpoints } from './memory-state-values.js';
import { byClientId, cachedShardOf, compareStrings } from './store-values.js';
import { latestCheckpoints, validDate, validHeartbeat, validateCommit } from './store-validation.js';
import { decideTake, holderToAsk, type HolderHeartbeat } from './take-decision.js';

/** The names of the store's methods (every method of {@link StateStore}), for {@link MemoryStateStore.failNext}. */
export type MemoryStateStoreMethod = Exclude<keyof StateStore, 'errors$'>;

/** A copy of everything a {@link MemoryStateStore} holds, by app. */
export interface MemoryStateStoreSnapshot {
  /** app → client id → last heartbeat. */
  clients: Record<string, Record<string, Date>>;
  /** app → client id → what its last {@link MemoryStateStore.heartbeat} carried. */
  heartbeats: Record<string, Record<string, Heartbeat>>;
  /** app → stream → cached shard list. */
  shards: Record<string, Record<string, CachedShard[]>>;
  /** app → stream → checkpoints (the shard states that have a sequence number), in shard-id order. */
  checkpoints: Record<string, Record<string, Checkpoint[]>>;
  /** app → stream → every shard state (checkpoint, owner, finished, shard start), in shard-id order. */
  states: Record<string, Record<string, ShardState[]>>;
}

interface Failure {
  error: unknown;
  remaining: number;
}

/**
 * A {@link StateStore} that keeps its state in memory. Every method returns an Observable that
 * answers synchronously when subscribed (so marble tests on virtual time work) and does its work
 * again on every subscription (so a retry is a new call). Data is copied in and out: callers
 * cannot change the store's state through objects they passed or received.
 *
 * ## Example
 * ```ts
 * import { MemoryStateStore } from 'rx-kinesumer';
 * const store = new MemoryStateStore();
 * store.failNext('updateCheckpoints', new StateStoreError('updateCheckpoints', 'throttled', { retriable: true }));
 * store.pingClient('app', 'client-1', new Date(0)).subscribe();
 * ```
 */
export class MemoryStateStore implements StateStore {
  /** Errors passed to {@link MemoryStateStore.reportError}; nothing else is reported here. */
  readonly errors$: Observable<KinesumerError>;

  private readonly errors = new Subject<KinesumerError>();
  private readonly clients = new Map<string, Map<string, Date>>();
  /** app → client id → the checkpoints and digests of its last heartbeat. */
  private readonly beats = new Map<string, Map<string, Heartbeat>>();
  private readonly shards = new Map<string, Map<string, CachedShard[]>>();
  /** app → stream → shard id → state; what the DynamoDB store keeps in checkpoint items. */
  private readonly states = new Map<string, Map<string, Map<string, ShardState>>>();
  private readonly failures = new Map<MemoryStateStoreMethod, Failure[]>();

  constructor() {
    this.errors$ = this.errors.asObservable();
  }

  /** Always ready, unless a failure was queued with {@link MemoryStateStore.failNext}. */
  ready(): Observable<void> {
    return this.answer('ready', () => undefined);
  }

  pingClient(app: string, clientId: string, now: Date): Observable<void> {
    return this.answer('pingClient', () => {
      const lastUpdate = copyDate('pingClient', now);
      entry(this.clients, app, () => new Map()).set(clientId, lastUpdate);
    });
  }

  /** A ping that also keeps the heartbeat's checkpoints and digests (replacing the previous ones). */
  heartbeat(app: string, clientId: string, now: Date, heartbeat: Heartbeat): Observable<void> {
    return this.answer('heartbeat', () => {
      const lastUpdate = copyDate('heartbeat', now);
      const copy = validHeartbeat(heartbeat);
      entry(this.clients, app, () => new Map()).set(clientId, lastUpdate);
      entry(this.beats, app, () => new Map()).set(clientId, copy);
    });
  }

  deregisterClient(app: string, clientId: string): Observable<void> {
    return this.answer('deregisterClient', () => {
      this.clients.get(app)?.delete(clientId);
      this.beats.get(app)?.delete(clientId);
    });
  }

  /**
   * The alive clients, sorted, the first with the digests of its last heartbeat (as the DynamoDB
   * store reads them); with `options.stats`, each with its shard stats.
   */
  listGroup(app: string, since: Date, options: ListGroupOptions = {}): Observable<GroupMember[]> {
    return this.answer('listGroup', () => {
      validDate('listGroup', since);
      const alive = [...(this.clients.get(app) ?? [])].filter(([, lastUpdate]) => isAlive(lastUpdate, since)).map(([id]) => id).sort(compareStrings);
      return alive.map((clientId, i): GroupMember => {
        const beat = this.beats.get(app)?.get(clientId);
        const digests = (i === 0 && clientId !== options.self) || options.stats === true ? beat?.digests : undefined;
        const member: GroupMember = digests === undefined ? { clientId } : { clientId, digests: { ...digests } };
        const stats = options.stats === true && beat !== undefined ? validHeartbeat(beat).stats : undefined;
        if (stats !== undefined) member.stats = stats;
        return member;
      });
    });
  }

  listAliveClients(app: string, since: Date): Observable<string[]> {
    return this.answer('listAliveClients', () => {
      validDate('listAliveClients', since);
      return [...(this.clients.get(app) ?? [])]
        .filter(([, lastUpdate]) => isAlive(lastUpdate, since))
        .map(([id]) => id)
        .sort(compareStrings);
    });
  }

  listClients(app: string): Observable<ClientHeartbeat[]> {
    return this.answer('listClients', () => [...(this.clients.get(app) ?? [])].map(([id, at]) => this.clientHeartbeat(app, id, at)).sort(byClientId));
  }

  /** The first heartbeat of a run: keeps the previous heartbeat's checkpoints and seeks, drops its digests and stats; returns it. */
  rejoin(app: string, clientId: string, now: Date): Observable<ClientHeartbeat | undefined> {
    return this.answer('rejoin', () => {
      const lastUpdate = copyDate('rejoin', now);
      const before = this.clients.get(app)?.get(clientId);
      const previous = before === undefined ? undefined : this.clientHeartbeat(app, clientId, before);
      const { checkpoints = {}, seeks } = this.beats.get(app)?.get(clientId) ?? {};
      entry(this.clients, app, () => new Map()).set(clientId, lastUpdate);
      entry(this.beats, app, () => new Map()).set(clientId, validHeartbeat(seeks === undefined ? { checkpoints } : { checkpoints, seeks }));
      return previous;
    });
  }

  private clientHeartbeat(app: string, clientId: string, lastUpdate: Date): ClientHeartbeat {
    const beat = this.beats.get(app)?.get(clientId);
    const heartbeat: ClientHeartbeat = { clientId, lastUpdate: new Date(lastUpdate.getTime()) };
    const { checkpoints, seeks, stats } = beat === undefined ? { checkpoints: {}, seeks: undefined, stats: undefined } : validHeartbeat(beat);
    if (Object.keys(checkpoints).length > 0) heartbeat.checkpoints = checkpoints;
    if (seeks !== undefined) heartbeat.seeks = seeks;
    if (stats !== undefined) heartbeat.stats = stats;
    return heartbeat;
  }

  pruneClients(app: string, before: Date): Observable<string[]> {
    return this.answer('pruneClients', () => {
      validDate('pruneClients', before);
      const clients = this.clients.get(app);
      const pruned = [...(clients ?? [])]
        .filter(([, lastUpdate]) => isExpired(lastUpdate, before))
        .map(([id]) => id)
        .sort(compareStrings);
      for (const id of pruned) {
        // What the client committed in its heartbeats goes to the shards it still holds first.
        const beat = this.beats.get(app)?.get(id);
        for (const [stream, shardId, position] of shardEntries(beat?.checkpoints ?? {})) {
          const stored = this.states.get(app)?.get(stream);
          const state = stored?.get(shardId);
          const change = state === undefined ? undefined : pruneTakeover(id, position, state, beat?.seeks?.[stream]?.[shardId]);
          if (stored !== undefined && state !== undefined && change !== undefined) stored.set(shardId, applyShardChange(state, change));
        }
        clients?.delete(id);
        this.beats.get(app)?.delete(id);
      }
      return pruned;
    });
  }

  getShards(app: string, stream: string): Observable<CachedShard[] | undefined> {
    return this.answer('getShards', () => {
      const shards = this.shards.get(app)?.get(stream);
      return shards === undefined ? undefined : shards.map(cachedShardOf);
    });
  }

  /** Page `page` of a cache of more than {@link SHARD_CACHE_PAGE_SIZE} shards, as the DynamoDB store keeps them. */
  getShardPage(app: string, stream: string, page: number): Observable<CachedShard[] | undefined> {
    return this.answer('getShardPage', () => {
      const shards = this.shards.get(app)?.get(stream);
      if (shards === undefined || shards.length <= SHARD_CACHE_PAGE_SIZE) return undefined;
      return shardPages(shards)[page]?.map(cachedShardOf);
    });
  }

  updateShards(app: string, stream: string, shards: readonly CachedShard[]): Observable<void> {
    return this.answer('updateShards', () => {
      entry(this.shards, app, () => new Map()).set(stream, shards.map(cachedShardOf));
    });
  }

  /** Checkpoints of the shards whose state has a sequence number; the others are left out. */
  getCheckpoints(app: string, stream: string, shardIds?: readonly string[]): Observable<Checkpoint[]> {
    return this.answer('getCheckpoints', () => {
      const stored = this.states.get(app)?.get(stream);
      if (stored === undefined) return [];
      if (shardIds === undefined) return sortedCheckpoints(stored);
      return [...new Set(shardIds)].flatMap((id) => {
        const state = stored.get(id);
        return state === undefined ? [] : toCheckpoints(state);
      });
    });
  }

  /**
   * Replaces the state of each shard with just the checkpoint (owner, finished and shard start
   * are removed), as the DynamoDB store's BatchWriteItem puts do.
   */
  updateCheckpoints(app: string, stream: string, checkpoints: readonly Checkpoint[]): Observable<void> {
    return this.answer('updateCheckpoints', () => {
      // Everything is checked first so that a bad checkpoint writes none, as in one DynamoDB batch call.
      const latest = latestCheckpoints(stream, checkpoints);
      if (latest.length === 0) return;
      const stored = this.streamStates(app, stream);
      for (const cp of latest) {
        stored.set(cp.shardId, { shardId: cp.shardId, sequenceNumber: cp.sequenceNumber, finished: false, lastUpdate: new Date(cp.lastUpdate.getTime()) });
      }
    });
  }

  listShardStates(app: string, stream: string, range?: ShardIdRange): Observable<ShardState[]> {
    return this.answer('listShardStates', () => sortedStates(this.states.get(app)?.get(stream)).filter((s) => inRange(s.shardId, range)));
  }

  /**
   * Takes the shard as the shared take rule decides (`decideTake`): free, this client's, or held
   * by a client that is not alive, and not finished. Its other fields, the checkpoint among them,
   * are kept, unless they were written for an older shard of that id.
   */
  acquireShard(
    app: string,
    stream: string,
    shardId: string,
    request: AcquireRequest,
  ): Observable<ShardState | undefined> {
    return this.answer('acquireShard', () => {
      validDate('acquireShard', request.now);
      validDate('acquireShard', request.aliveSince);
      const stored = this.states.get(app)?.get(stream)?.get(shardId);
      const holder = holderToAsk(stored, request.shardStart);
      const take = decideTake(stored, request, holder === undefined ? undefined : this.heartbeatOf(app, holder), stream);
      if (take === undefined) return undefined;
      const state = applyShardChange(stored ?? { shardId, finished: false }, take.change);
      this.streamStates(app, stream).set(shardId, state);
      return copyState(state);
    });
  }

  /** Frees the shard if `clientId` holds it (one without a checkpoint gets its shard start as one: `releaseChange`). */
  releaseShard(app: string, stream: string, shardId: string, clientId: string): Observable<void> {
    return this.answer('releaseShard', () => {
      const stored = this.states.get(app)?.get(stream);
      const state = stored?.get(shardId);
      if (stored === undefined || state === undefined || state.owner !== clientId) return;
      stored.set(shardId, applyShardChange(state, releaseChange(state)));
    });
  }

  /**
   * Writes the checkpoint if `commit.clientId` holds the shard, the stored one is
   * `commit.previous` and the stored `seek` is `commit.seek`; without a sequence number (only with
   * `finished`) the stored one is kept.
   */
  commitShard(app: string, stream: string, shardId: string, commit: ShardCommit): Observable<boolean> {
    return this.answer('commitShard', () => {
      validateCommit(stream, shardId, commit);
      validDate('commitShard', commit.now);
      const stored = this.states.get(app)?.get(stream);
      const state = stored?.get(shardId);
      if (stored === undefined || state === undefined) return false;
      if (state.owner !== commit.clientId || state.sequenceNumber !== commit.previous || (state.seek ?? 0) !== (commit.seek ?? 0)) return false;
      stored.set(shardId, applyShardChange(state, commitChange(commit)));
      return true;
    });
  }

  /** Sends the shard to `seek` (see `seekChange`), creating its state when it has none. */
  seekShard(app: string, stream: string, shardId: string, seek: ShardSeek): Observable<ShardState> {
    return this.answer('seekShard', () => {
      validDate('seekShard', seek.now);
      const stored = this.streamStates(app, stream);
      const state = applyShardChange(stored.get(shardId) ?? { shardId, finished: false }, seekChange(seek));
      stored.set(shardId, state);
      return copyState(state);
    });
  }

  deleteShardStates(app: string, stream: string, shardIds: readonly string[]): Observable<void> {
    return this.answer('deleteShardStates', () => {
      const streams = this.states.get(app);
      const stored = streams?.get(stream);
      if (streams === undefined || stored === undefined) return;
      for (const id of shardIds) stored.delete(id);
      if (stored.size === 0) streams.delete(stream);
      if (streams.size === 0) this.states.delete(app);
    });
  }

  /**
   * Makes the next `times` calls of `method` fail with `error` (at subscription, so each retry
   * is one call). Failures queued for the same method are used in order.
   *
   * @param method The method to fail.
   * @param error What the calls fail with.
   * @param times How many calls fail. Default 1.
   */
  failNext(method: MemoryStateStoreMethod, error: unknown, times = 1): void {
    if (times > 0) entry(this.failures, method, () => []).push({ error, remaining: times });
  }

  /** Emits `error` on {@link MemoryStateStore.errors$}, as the DynamoDB store does for a malformed item. */
  reportError(error: KinesumerError): void {
    this.errors.next(error);
  }

  /** A copy of the store's contents, for assertions. */
  snapshot(): MemoryStateStoreSnapshot {
    const snapshot: MemoryStateStoreSnapshot = { clients: {}, heartbeats: {}, shards: {}, checkpoints: {}, states: {} };
    for (const [app, clients] of this.clients) {
      snapshot.clients[app] = Object.fromEntries([...clients].map(([id, date]) => [id, new Date(date.getTime())]));
    }
    for (const [app, beats] of this.beats) {
      if (beats.size > 0) snapshot.heartbeats[app] = Object.fromEntries([...beats].map(([id, beat]) => [id, validHeartbeat(beat)]));
    }
    for (const [app, streams] of this.shards) {
      snapshot.shards[app] = Object.fromEntries([...streams].map(([stream, shards]) => [stream, shards.map(cachedShardOf)]));
    }
    for (const [app, streams] of this.states) {
      for (const [stream, states] of streams) {
        const checkpoints = sortedCheckpoints(states);
        if (checkpoints.length > 0) (snapshot.checkpoints[app] ??= {})[stream] = checkpoints;
        (snapshot.states[app] ??= {})[stream] = sortedStates(states);
      }
    }
    return snapshot;
  }

  private streamStates(app: string, stream: string): Map<string, ShardState> {
    return entry(entry(this.states, app, () => new Map()), stream, () => new Map());
  }

  /** `clientId`'s last heartbeat: its time and the checkpoints it carried. */
  private heartbeatOf(app: string, clientId: string): HolderHeartbeat | undefined {
    const lastUpdate = this.clients.get(app)?.get(clientId);
    const beat = this.beats.get(app)?.get(clientId);
    if (lastUpdate === undefined) return undefined;
    return { lastUpdate, ...(beat?.checkpoints === undefined ? {} : { checkpoints: beat.checkpoints }), ...(beat?.seeks === undefined ? {} : { seeks: beat.seeks }) };
  }

  /** An Observable that, on each subscription, fails if a failure is queued or else runs `work`. */
  private answer<T>(method: MemoryStateStoreMethod, work: () => T): Observable<T> {
    return defer(() => {
      const queue = this.failures.get(method);
      const failure = queue?.[0];
      if (queue !== undefined && failure !== undefined) {
        if (--failure.remaining <= 0) queue.shift();
        return throwError(() => failure.error);
      }
      return of(work());
    });
  }
}
