import {
  EMPTY,
  Observable,
  catchError,
  defer,
  finalize,
  from,
  ignoreElements,
  map,
  mergeMap,
  of,
  share,
  shareReplay,
  take,
  tap,
  type SchedulerLike,
} from 'rxjs';
import type { ResolvedConfig } from '../config/kinesumer-config.js';
import { KinesisError, StateStoreError, UsageError, asKinesisError, asStateStoreError, type KinesumerError } from '../errors.js';
import { isEfoKinesisApi, type EfoKinesisApi, type KinesisApi, type StreamConsumer } from '../kinesis/kinesis-api.js';
import { efoReader, type EfoReaderOptions } from '../shard/efo-reader.js';
import { answerWithin, type RetryPolicy } from '../retry.js';
import type { StateStore } from '../state-store/state-store.js';
import { activeConsumer } from './active-consumer.js';
import { consumerName$ } from './consumer-name.js';

/** What {@link EnhancedFanOut} needs. */
export interface EnhancedFanOutOptions {
  app: string;
  clientId: string;
  kinesis: KinesisApi & EfoKinesisApi;
  /** The consumer name to register (see `consumerName$`). */
  consumerName$: Observable<string>;
  scheduler: SchedulerLike;
  retry: Omit<RetryPolicy, 'scheduler'>;
  report: (err: KinesumerError) => void;
  /** Whether this client leads the group now: only the leader registers. */
  isLeader: () => boolean;
  /** Deregister the consumers when the group's last client leaves. */
  deregisterOnClose: boolean;
  store: Pick<StateStore, 'listAliveClients'>;
  /**
   * A client not seen for this long is dead, ms (`group.clientTimeout`). Also how long a client
   * that does not lead waits for the leader to register a consumer before it registers it itself.
   */
  clientTimeout: number;
  /** Time allowed for each call made while leaving, ms (`commit.timeout`). */
  callTimeout: number;
}

/** A shard reader's own options; the rest comes from {@link EnhancedFanOut}. */
export type EfoShardOptions<R> = Omit<EfoReaderOptions<R>, 'consumerArn$' | 'kinesis' | 'scheduler' | 'retry' | 'subscribedAt' | 'attemptedAt'>;

/**
 * Enhanced fan-out for one client: each stream's consumer, registered by the leader and awaited
 * ACTIVE by everyone before the first subscribe ({@link activeConsumer}), one
 * DescribeStreamSummary per stream for its ARN, the per-shard {@link efoReader}s, and
 * deregistration when the group's last client leaves (only with `deregisterOnClose`).
 *
 * Registration is lazy: a stream's consumer is looked up when this client starts its first reader
 * of the stream, and shared by its other readers. When a subscribe fails with
 * `ResourceNotFoundException` (the consumer was deregistered meanwhile, say) the consumer is
 * looked up again.
 */
export class EnhancedFanOut {
  /** Stream ARNs and ACTIVE consumers found, by stream. */
  private readonly arns = new Map<string, string>();
  private readonly consumers = new Map<string, StreamConsumer>();
  /** Look-ups in flight, shared by the readers waiting for them; cancelled when they all leave. */
  private readonly pendingArns = new Map<string, Observable<string>>();
  private readonly pendingConsumers = new Map<string, Observable<StreamConsumer>>();
  /** When each shard was last subscribed to, for the 5-second rule across reader restarts. */
  private readonly subscribedAt = new Map<string, number>();
  private readonly attemptedAt = new Map<string, number>();

  constructor(private readonly options: EnhancedFanOutOptions) {}

  /** The stream's ARN, asked for once (again only after a failure). */
  streamArn$(stream: string): Observable<string> {
    return defer(() => {
      const known = this.arns.get(stream);
      if (known !== undefined) return of(known);
      return shared(this.pendingArns, stream, () =>
        this.options.kinesis.describeStreamSummary(stream).pipe(
          map((summary) => summary.streamArn),
          tap((arn) => this.arns.set(stream, arn)),
        ),
      );
    });
  }

  /** The stream's ACTIVE consumer, shared by every reader of the stream. Never errors. */
  consumer$(stream: string): Observable<StreamConsumer> {
    return defer(() => {
      const known = this.consumers.get(stream);
      if (known !== undefined) return of(known);
      const { kinesis, scheduler, retry, report, isLeader } = this.options;
      return shared(this.pendingConsumers, stream, () =>
        this.options.consumerName$.pipe(
          take(1),
          mergeMap((consumerName) =>
            activeConsumer({
              stream,
              streamArn$: this.streamArn$(stream),
              consumerName,
              kinesis,
              scheduler,
              retry,
              isLeader,
              // A leader that has not registered it by now is not in EFO mode, or failing.
              registerAfter: this.options.clientTimeout,
              report,
            }),
          ),
          tap((consumer) => this.consumers.set(stream, consumer)),
        ),
      );
    });
  }

  /** Forget the stream's consumer, so the next subscribe looks it up (and registers it) again. */
  forget(stream: string): void {
    this.consumers.delete(stream);
  }

  /**
   * A reader of one shard: waits until the stream's consumer is ACTIVE, then reads the shard with
   * {@link efoReader}.
   */
  reader<R>(options: EfoShardOptions<R>): Observable<R[]> {
    const { stream } = options;
    return efoReader<R>({
      ...options,
      kinesis: this.options.kinesis,
      scheduler: this.options.scheduler,
      retry: this.options.retry,
      subscribedAt: this.subscribedAt,
      attemptedAt: this.attemptedAt,
      consumerArn$: this.consumer$(stream).pipe(map((consumer) => consumer.consumerArn)),
      report: (err) => {
        if (err instanceof KinesisError && err.operation === 'SubscribeToShard' && err.code === 'KINESIS_RESOURCE_NOT_FOUND') {
          this.forget(stream);
        }
        options.report(err);
      },
    });
  }

  /**
   * Called after this client deregistered from the group: when `deregisterOnClose` is set and no
   * other client is alive, deregisters the consumer of every stream in `streams`. Never errors;
   * failures are reported.
   */
  leave$(streams: readonly string[]): Observable<never> {
    const { app, clientId, store, scheduler, clientTimeout, callTimeout, report, kinesis } = this.options;
    if (!this.options.deregisterOnClose || streams.length === 0) return EMPTY;
    const deregister = (stream: string) =>
      this.options.consumerName$.pipe(
        take(1),
        mergeMap((name) =>
          this.streamArn$(stream).pipe(
            take(1),
            mergeMap((arn) => kinesis.deregisterStreamConsumer(stream, arn, name)),
          ),
        ),
        answerWithin(callTimeout, scheduler, (message) =>
          new KinesisError('DeregisterStreamConsumer', stream, undefined, message, { retriable: true }),
        ),
        ignoreElements(),
        catchError((err: unknown) => {
          report(asKinesisError(err, 'DeregisterStreamConsumer', stream));
          return EMPTY;
        }),
      );
    return defer(() => from(store.listAliveClients(app, new Date(scheduler.now() - clientTimeout)))).pipe(
      answerWithin(callTimeout, scheduler, (message) => new StateStoreError('listAliveClients', message, { retriable: true })),
      catchError((err: unknown) => {
        report(asStateStoreError(err, 'listAliveClients'));
        return EMPTY;
      }),
      // Another client still reads with these consumers (or may: a crashed one is counted until
      // clientTimeout): keep them.
      mergeMap((alive) => (alive.some((id) => id !== clientId) ? EMPTY : from(streams).pipe(mergeMap(deregister)))),
    );
  }
}

/**
 * The {@link EnhancedFanOut} of a consumer whose config has `efo` on, or `undefined`.
 *
 * @throws UsageError when the `kinesis` seam has no enhanced fan-out calls.
 */
export function enhancedFanOut(
  config: Pick<ResolvedConfig, 'app' | 'clientId' | 'efo' | 'kinesis' | 'scheduler' | 'retry' | 'group' | 'commit'>,
  deps: {
    kinesis: KinesisApi;
    store: Pick<StateStore, 'listAliveClients'>;
    report: (err: KinesumerError) => void;
    isLeader: () => boolean;
  },
): EnhancedFanOut | undefined {
  const efo = config.efo;
  if (!efo) return undefined;
  const { kinesis } = deps;
  if (!isEfoKinesisApi(kinesis)) {
    throw new UsageError('efo is on, but the kinesis seam has no enhanced fan-out calls (EfoKinesisApi)', 'EFO_UNSUPPORTED');
  }
  return new EnhancedFanOut({
    app: config.app,
    clientId: config.clientId,
    kinesis,
    consumerName$: consumerName$(config.app, efo.consumerName, config.kinesis).pipe(shareReplay(1)),
    scheduler: config.scheduler,
    retry: config.retry,
    report: deps.report,
    isLeader: deps.isLeader,
    deregisterOnClose: efo.deregisterOnClose,
    store: deps.store,
    clientTimeout: config.group.clientTimeout,
    callTimeout: config.commit.timeout,
  });
}

/** The look-up in flight for `key`, or a new one, shared until it ends or nobody waits for it. */
function shared<T>(pending: Map<string, Observable<T>>, key: string, create: () => Observable<T>): Observable<T> {
  let lookUp = pending.get(key);
  if (lookUp === undefined) {
    const created: Observable<T> = create().pipe(
      finalize(() => {
        if (pending.get(key) === created) pending.delete(key);
      }),
      share(),
    );
    pending.set(key, created);
    lookUp = created;
  }
  return lookUp;
}
