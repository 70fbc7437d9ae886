import { Observable, Subject, tap, type SchedulerLike } from 'rxjs';
import type { GroupView } from '../group/group-sync.js';
import { proxyMethods, type Method } from '../internal/proxy-methods.js';
import type { EfoKinesisApi, KinesisApi, StartPosition } from '../kinesis/kinesis-api.js';
import type { HeartbeatStats, StateStore } from '../state-store/state-store.js';
import type { KinesumerEvent, KinesumerMetrics, ProcessingMetrics, ShardMetrics } from './metrics.js';
import type { ReadFailure, ShardProbe } from './shard-activity.js';
import { newShardCounters, stallOf, statsOf, type ShardCounters, type Stall } from './shard-counters.js';
import { startRate } from './shard-rate.js';

/** Whatever an event is, without its timestamp (the recorder stamps it). */
type Unstamped<E> = E extends unknown ? Omit<E, 'at'> : never;

/**
 * Counts what a consumer does, cheaply: the per-record path only adds page sizes and byte counts
 * per page; everything else is counted per call, per commit, or per sync round. `snapshot()`
 * builds a {@link KinesumerMetrics}; `events$` emits lifecycle events.
 */
export class MetricsRecorder {
  private readonly shards = new Map<string, ShardCounters>();
  private readonly eventSubject = new Subject<KinesumerEvent>();
  readonly events$ = this.eventSubject.asObservable();
  private leader = false;
  private clients: string[] = [];
  private rebalanceCount = -1; // the first assignment is not a rebalance
  private rebalanceStart: number | undefined;
  private pending = new Set<string>();
  private lastRebalanceMs: number | undefined;
  private commits = 0;
  private commitFailures = 0;
  private lastCommitLatency: number | undefined;
  private readonly storeCalls: Record<string, number> = {};
  private probe: ShardProbe | undefined;
  private readonly errors: Record<string, number> = {};
  /** Updated by the processing operators; copied into every snapshot. */
  readonly processing: ProcessingMetrics = { inFlight: 0, waiting: 0, processed: 0, retries: 0, deadLettered: 0, failed: 0, handlerMs: 0, handlerCalls: 0 };

  constructor(
    private readonly app: string,
    private readonly clientId: string,
    private readonly scheduler: SchedulerLike,
  ) {}

  /** The consumer closed: events$ completes. */
  complete(): void {
    this.eventSubject.complete();
  }

  emit(event: Unstamped<KinesumerEvent>): void {
    if (event.type === 'recordRetried') this.counters(event.stream, event.shardId).retrying = event.sequenceNumber;
    this.eventSubject.next({ ...event, at: this.scheduler.now() } as KinesumerEvent);
  }

  /** Where in-flight counts, backpressure and pauses are read from (the consumer's checkpointer and pause control). */
  attach(probe: ShardProbe): void {
    this.probe = probe;
  }

  /** Totals of every shard this client ever held, owned or not (for exporters). */
  allShards(): readonly Readonly<ShardCounters>[] {
    return [...this.shards.values()];
  }

  /** The per-shard state fields of a metrics snapshot. */
  private shardState(c: ShardCounters): Pick<ShardMetrics, 'lastRecordAgeMs' | 'inFlight' | 'state' | 'stalled' | 'stalls'> {
    const stats = statsOf(c, this.scheduler.now(), this.probe);
    return { lastRecordAgeMs: stats.lastRecordAgeMs, inFlight: stats.inFlight ?? 0, state: stats.state ?? 'reading', stalled: c.stalled, stalls: c.stalls };
  }

  private counters(stream: string, shardId: string): ShardCounters {
    const key = `${stream}/${shardId}`;
    let c = this.shards.get(key);
    if (c === undefined) {
      c = newShardCounters(stream, shardId);
      this.shards.set(key, c);
    }
    return c;
  }

  /** The shard is assigned to this client, which now waits to take it (`on`), or no longer (`false`). */
  taking(stream: string, shardId: string, on: boolean): void {
    if (on || this.shards.has(`${stream}/${shardId}`)) this.counters(stream, shardId).taking = on;
  }

  acquired(stream: string, shardId: string): void {
    const c = this.counters(stream, shardId);
    Object.assign(c, { owned: true, taking: false, takenAt: this.scheduler.now(), rate: startRate(this.scheduler.now(), c.records, c.bytes), readFailure: undefined, retrying: undefined, stalled: false, stallCode: undefined });
    this.emit({ type: 'shardAcquired', stream, shardId });
    if (this.pending.delete(`${stream}/${shardId}`) && this.pending.size === 0 && this.rebalanceStart !== undefined) {
      this.lastRebalanceMs = this.scheduler.now() - this.rebalanceStart;
      this.rebalanceStart = undefined;
    }
  }

  left(stream: string, shardId: string, why: 'shardReleased' | 'shardLost' | 'shardFinished'): void {
    if (why !== 'shardFinished') Object.assign(this.counters(stream, shardId), { owned: false, stalled: false });
    this.emit({ type: why, stream, shardId });
  }

  /** One GetRecords page or SubscribeToShard event arrived (or a subscription began: `records` undefined). */
  call(stream: string, shardId: string, millisBehindLatest: number | undefined, counts: boolean): void {
    const c = this.counters(stream, shardId);
    if (counts) c.calls += 1;
    if (millisBehindLatest !== undefined) c.millisBehindLatest = millisBehindLatest;
    if (millisBehindLatest === 0) c.stalled = false; // at the tip: nothing to deliver
    c.readFailure = undefined;
  }

  /** A Kinesis call on the shard failed; `rejected`: Kinesis refused the position reading starts from. */
  readFailed(stream: string, shardId: string, failure: ReadFailure): void {
    this.counters(stream, shardId).readFailure = failure;
  }

  /** Records delivered from a shard (after de-aggregation), counted once per page. */
  delivered(stream: string, shardId: string, records: readonly { data: Uint8Array }[]): void {
    if (records.length === 0) return;
    const c = this.counters(stream, shardId);
    let bytes = 0;
    for (let i = 0; i < records.length; i++) bytes += records[i]!.data.length;
    c.records += records.length;
    c.bytes += bytes;
    c.lastRecordAt = this.scheduler.now();
    c.lastArrivalAt = (records[records.length - 1] as { approximateArrivalTimestamp?: Date | undefined }).approximateArrivalTimestamp?.getTime();
    c.stalled = false;
  }

  throttled(stream: string, shardId: string): void {
    this.counters(stream, shardId).throttles += 1;
  }

  committed(stream: string, shardId: string, records: number, sequenceNumber: string | undefined, latencyMs: number): void {
    this.counters(stream, shardId).checkpointed += records;
    this.commits += 1;
    this.lastCommitLatency = latencyMs;
    this.emit({ type: 'checkpointCommitted', stream, shardId, sequenceNumber });
  }

  commitFailed(stream: string, shardId: string, rejected: boolean): void {
    this.commitFailures += 1;
    if (rejected) this.emit({ type: 'checkpointRejected', stream, shardId });
  }

  storeCall(method: string): void {
    this.storeCalls[method] = (this.storeCalls[method] ?? 0) + 1;
  }

  error(code: string): void {
    this.errors[code] = (this.errors[code] ?? 0) + 1;
  }

  /** A completed sync round: leadership and membership changes become events. */
  view(view: GroupView): void {
    const leader = view.leader;
    if (leader !== this.leader) this.emit({ type: leader ? 'leaderGained' : 'leaderLost' });
    this.leader = leader;
    const before = new Set(this.clients);
    const now = new Set(view.clients);
    for (const id of view.clients) if (!before.has(id) && id !== this.clientId) this.emit({ type: 'clientJoined', clientId: id });
    for (const id of this.clients) if (!now.has(id) && id !== this.clientId) this.emit({ type: 'clientLeft', clientId: id });
    this.clients = view.clients;
  }

  /** This client's assignment changed to `keys` (`stream/shardId`): a rebalance starts. */
  assignment(keys: readonly string[]): void {
    this.rebalanceCount += 1;
    const owned = new Set([...this.shards.values()].filter((c) => c.owned).map((c) => `${c.stream}/${c.shardId}`));
    this.pending = new Set(keys.filter((k) => !owned.has(k)));
    this.rebalanceStart = this.pending.size > 0 ? this.scheduler.now() : undefined;
    if (this.pending.size === 0 && this.rebalanceCount > 0) this.lastRebalanceMs = 0;
  }

  /**
   * What this client's heartbeat says of each shard it holds or waits to take: lag, last-record
   * age, records in flight and activity ({@link ShardStats}); counted from what the readers did,
   * without any Kinesis call. With `rates`, also each held shard's smoothed throughput and how
   * long it has been held (for the `'balanced'` assignment).
   */
  heartbeatStats(rates = false): HeartbeatStats {
    const out: HeartbeatStats = {};
    for (const c of this.shards.values()) {
      if (c.owned || c.taking) (out[c.stream] ??= {})[c.shardId] = statsOf(c, this.scheduler.now(), this.probe, rates);
    }
    return out;
  }

  /**
   * The owned shards that became stalled now: behind the tip (or unable to read), not paused, and
   * nothing delivered for `timeout` ms since they were taken or last delivered. Each is counted
   * and returned once per stall; a delivery, or reaching the tip, ends the stall.
   */
  stalls(timeout: number): Stall[] {
    const now = this.scheduler.now();
    const found: Stall[] = [];
    for (const c of this.shards.values()) {
      const stall = stallOf(c, now, timeout, this.probe);
      if (stall !== undefined) found.push(stall);
    }
    return found;
  }

  snapshot(): KinesumerMetrics {
    const at = this.scheduler.now();
    const shards: ShardMetrics[] = [];
    for (const c of this.shards.values()) {
      if (!c.owned) continue;
      shards.push({
        stream: c.stream,
        shardId: c.shardId,
        records: c.records,
        bytes: c.bytes,
        checkpointed: c.checkpointed,
        millisBehindLatest: c.millisBehindLatest,
        msSinceLastRecord: c.lastRecordAt === undefined ? undefined : at - c.lastRecordAt,
        calls: c.calls,
        throttles: c.throttles,
        ...this.shardState(c),
      });
    }
    return {
      at,
      app: this.app,
      clientId: this.clientId,
      leader: this.leader,
      aliveClients: this.clients.length,
      ownedShards: shards.length,
      rebalances: { count: Math.max(0, this.rebalanceCount), lastDurationMs: this.rebalanceStart === undefined ? this.lastRebalanceMs : undefined },
      commits: { count: this.commits, failures: this.commitFailures, lastLatencyMs: this.lastCommitLatency },
      storeCalls: { ...this.storeCalls },
      errors: { ...this.errors },
      processing: { ...this.processing },
      shards,
    };
  }
}

/**
 * The seam with its calls counted: GetRecords calls and SubscribeToShard subscriptions,
 * `MillisBehindLatest` from pages and events, and throttles.
 */
export function countingKinesis(api: KinesisApi, recorder: MetricsRecorder): KinesisApi {
  // One tap per call: each answer counted, a throttling refusal counted as one.
  const counted = <T extends { millisBehindLatest?: number | undefined }>(stream: string, shardId: string, counts: boolean) =>
    tap<T>({
      next: (answer) => recorder.call(stream, shardId, answer.millisBehindLatest, counts),
      error: (err: { code?: string }) => {
        if (err?.code === 'KINESIS_THROTTLED') recorder.throttled(stream, shardId);
      },
    });
  const getRecords = (stream: string, shardId: string, iterator: string, limit: number): Observable<unknown> =>
    api.getRecords(stream, shardId, iterator, limit).pipe(counted(stream, shardId, true));
  const subscribeToShard = (stream: string, shardId: string, ...rest: [string, StartPosition, Observable<unknown>]): Observable<unknown> => {
    recorder.call(stream, shardId, undefined, true);
    return (api as unknown as EfoKinesisApi).subscribeToShard(stream, shardId, ...rest).pipe(counted(stream, shardId, false));
  };
  return proxyMethods(api, (name, method) => (name === 'getRecords' ? (getRecords as Method) : name === 'subscribeToShard' ? (subscribeToShard as Method) : method.bind(api)));
}

/** The store with every call counted by method. */
export function countingStore(store: StateStore, recorder: MetricsRecorder): StateStore {
  return proxyMethods(store, (name, method) => (...args) => {
    recorder.storeCall(String(name));
    return method.apply(store, args);
  });
}
