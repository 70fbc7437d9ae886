/**
 * A {@link StateStore} in memory, with the same semantics as the DynamoDB one, for tests and
 * for a consumer group of one process.
 */
import { Subject, defer, of, throwError, type Observable } from 'rxjs';
import { StateStoreError, type KinesumerError } from '../errors.js';
import { SequenceNumber } from './items.js';
import type { CachedShard, Checkpoint, StateStore } from './state-store.js';

/** The names of the store's methods, for {@link MemoryStateStore.failNext}. */
export type MemoryStateStoreMethod =
  | 'ready'
  | 'pingClient'
  | 'deregisterClient'
  | 'listAliveClients'
  | 'pruneClients'
  | 'getShards'
  | 'updateShards'
  | 'getCheckpoints'
  | 'updateCheckpoints';

/** A copy of everything a {@link MemoryStateStore} holds, by app. */
export interface MemoryStateStoreSnapshot {
  /** app → client id → last heartbeat. */
  clients: Record<string, Record<string, Date>>;
  /** app → stream → cached shard list. */
  shards: Record<string, Record<string, CachedShard[]>>;
  /** app → stream → checkpoints, in shard-id order. */
  checkpoints: Record<string, Record<string, Checkpoint[]>>;
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
  private readonly shards = new Map<string, Map<string, CachedShard[]>>();
  private readonly checkpoints = new Map<string, Map<string, Map<string, Checkpoint>>>();
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

  deregisterClient(app: string, clientId: string): Observable<void> {
    return this.answer('deregisterClient', () => {
      this.clients.get(app)?.delete(clientId);
    });
  }

  listAliveClients(app: string, since: Date): Observable<string[]> {
    return this.answer('listAliveClients', () => {
      const sinceMs = copyDate('listAliveClients', since).getTime();
      return [...(this.clients.get(app) ?? [])]
        .filter(([, lastUpdate]) => lastUpdate.getTime() > sinceMs)
        .map(([id]) => id)
        .sort(compareStrings);
    });
  }

  pruneClients(app: string, before: Date): Observable<string[]> {
    return this.answer('pruneClients', () => {
      const beforeMs = copyDate('pruneClients', before).getTime();
      const clients = this.clients.get(app);
      const pruned = [...(clients ?? [])]
        .filter(([, lastUpdate]) => lastUpdate.getTime() < beforeMs)
        .map(([id]) => id)
        .sort(compareStrings);
      for (const id of pruned) clients?.delete(id);
      return pruned;
    });
  }

  getShards(app: string, stream: string): Observable<CachedShard[] | undefined> {
    return this.answer('getShards', () => {
      const shards = this.shards.get(app)?.get(stream);
      return shards === undefined ? undefined : shards.map(copyShard);
    });
  }

  updateShards(app: string, stream: string, shards: readonly CachedShard[]): Observable<void> {
    return this.answer('updateShards', () => {
      entry(this.shards, app, () => new Map()).set(stream, shards.map(copyShard));
    });
  }

  getCheckpoints(app: string, stream: string, shardIds?: readonly string[]): Observable<Checkpoint[]> {
    return this.answer('getCheckpoints', () => {
      const stored = this.checkpoints.get(app)?.get(stream);
      if (stored === undefined) return [];
      if (shardIds === undefined) return sortedCheckpoints(stored);
      return [...new Set(shardIds)].flatMap((id) => {
        const cp = stored.get(id);
        return cp === undefined ? [] : [copyCheckpoint(cp)];
      });
    });
  }

  updateCheckpoints(app: string, stream: string, checkpoints: readonly Checkpoint[]): Observable<void> {
    return this.answer('updateCheckpoints', () => {
      // Validate everything first so that a bad checkpoint writes none, as in one DynamoDB batch call.
      const copies = checkpoints.map((cp) => {
        if (!SequenceNumber.is(cp.sequenceNumber)) {
          throw new StateStoreError(
            'updateCheckpoints',
            `sequence number of shard ${cp.shardId} of stream "${stream}" is not a decimal string`,
          );
        }
        return { ...copyCheckpoint(cp), lastUpdate: copyDate('updateCheckpoints', cp.lastUpdate) };
      });
      const stored = entry(entry(this.checkpoints, app, () => new Map()), stream, () => new Map());
      for (const cp of copies) stored.set(cp.shardId, cp);
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
    const snapshot: MemoryStateStoreSnapshot = { clients: {}, shards: {}, checkpoints: {} };
    for (const [app, clients] of this.clients) {
      snapshot.clients[app] = Object.fromEntries([...clients].map(([id, date]) => [id, new Date(date.getTime())]));
    }
    for (const [app, streams] of this.shards) {
      snapshot.shards[app] = Object.fromEntries([...streams].map(([stream, shards]) => [stream, shards.map(copyShard)]));
    }
    for (const [app, streams] of this.checkpoints) {
      snapshot.checkpoints[app] = Object.fromEntries([...streams].map(([stream, cps]) => [stream, sortedCheckpoints(cps)]));
    }
    return snapshot;
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

function entry<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}

function copyDate(operation: string, date: Date): Date {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new StateStoreError(operation, 'an invalid Date was given');
  }
  return new Date(date.getTime());
}

function copyShard(shard: CachedShard): CachedShard {
  return {
    id: shard.id,
    closed: shard.closed,
    ...(shard.parentShardId === undefined ? {} : { parentShardId: shard.parentShardId }),
    ...(shard.adjacentParentShardId === undefined ? {} : { adjacentParentShardId: shard.adjacentParentShardId }),
  };
}

function copyCheckpoint(cp: Checkpoint): Checkpoint {
  return { shardId: cp.shardId, sequenceNumber: cp.sequenceNumber, lastUpdate: new Date(cp.lastUpdate.getTime()) };
}

function sortedCheckpoints(stored: Map<string, Checkpoint>): Checkpoint[] {
  return [...stored.values()].map(copyCheckpoint).sort((a, b) => compareStrings(a.shardId, b.shardId));
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
