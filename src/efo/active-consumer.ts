import { Observable, defer, mergeMap, of, retry, take, throwError, timer, type SchedulerLike } from 'rxjs';
import { asKinesisError, type KinesumerError } from '../errors.js';
import type { EfoKinesisApi, StreamConsumer } from '../kinesis/kinesis-api.js';
import { backoffDelay, type RetryPolicy } from '../retry.js';

/**
 * The longest wait between two DescribeStreamConsumer calls while a consumer is not ACTIVE yet,
 * ms. Registration takes seconds on AWS; the retry policy's `maxDelay` (30 s by default) would
 * make clients start reading long after it is done.
 */
export const MAX_ACTIVE_POLL_DELAY = 5000;

/** What {@link activeConsumer} needs. */
export interface ActiveConsumerOptions {
  stream: string;
  /** The stream's ARN (DescribeStreamSummary); subscribed again after a failure. */
  streamArn$: Observable<string>;
  consumerName: string;
  kinesis: EfoKinesisApi;
  scheduler: SchedulerLike;
  retry: Omit<RetryPolicy, 'scheduler'>;
  /**
   * Whether this client leads the group now; read before every attempt. Only the leader
   * registers the consumer; the others wait for it to appear.
   */
  isLeader: () => boolean;
  /**
   * A client that is not the leader registers the consumer itself once it has waited this long
   * for it, ms: the leader may not be in EFO mode (during a rolling switch from polling, say), or
   * may be failing. Registering is idempotent. Default: never.
   */
  registerAfter?: number;
  report: (err: KinesumerError) => void;
}

/** Not an error: the consumer is not registered yet, or not ACTIVE yet. */
class NotActive {
  constructor(readonly status: string | undefined) {}
}

/**
 * The stream's consumer once it is ACTIVE: emits it once and completes.
 *
 * The leader registers it (RegisterStreamConsumer) and reuses one that exists already
 * (`ResourceInUseException`); every client, the leader too, then polls DescribeStreamConsumer on
 * the scheduler, with backoff (at most {@link MAX_ACTIVE_POLL_DELAY} apart), until it is ACTIVE.
 * A client that is not the leader does not register: it waits until the leader did, and registers
 * itself only if it becomes the leader meanwhile, or after `registerAfter`. A consumer being deleted is waited out and
 * registered again. Failures (throttling included) are reported and retried with the retry
 * policy; it never errors.
 *
 * ## Example
 * ```ts
 * import { of } from 'rxjs';
 * import { activeConsumer } from './efo/active-consumer.js';
 *
 * activeConsumer({ stream: 'orders', streamArn$: of(arn), consumerName: 'orders-indexer', kinesis,
 *   scheduler, retry: { initialDelay: 100, maxDelay: 30000 }, isLeader: () => true, report })
 *   .subscribe((consumer) => console.log(consumer.consumerArn));
 * ```
 *
 * @param options The stream, the consumer name, and whether this client leads.
 * @returns The ACTIVE consumer.
 */
export function activeConsumer(options: ActiveConsumerOptions): Observable<StreamConsumer> {
  const { stream, consumerName, kinesis, scheduler, report } = options;
  const policy = { ...options.retry, scheduler };
  const pollPolicy = { ...policy, maxDelay: Math.min(policy.maxDelay, MAX_ACTIVE_POLL_DELAY) };

  const registerAfter = options.registerAfter ?? Number.POSITIVE_INFINITY;

  return defer(() => {
    // Whether the consumer was seen to exist: then there is nothing to register, only to wait for.
    let exists = false;
    const since = scheduler.now();
    const registers = () => options.isLeader() || scheduler.now() - since >= registerAfter;

    const lookUp = (streamArn: string): Observable<StreamConsumer | undefined> =>
      registers() && !exists
        ? kinesis
            .registerStreamConsumer(stream, streamArn, consumerName)
            .pipe(mergeMap((created) => (created ? of(created) : kinesis.describeStreamConsumer(stream, streamArn, consumerName))))
        : kinesis.describeStreamConsumer(stream, streamArn, consumerName);

    return defer(() => options.streamArn$.pipe(take(1))).pipe(
      mergeMap(lookUp),
      mergeMap((consumer) => {
        // A consumer being deleted must be registered again once it is gone.
        exists = consumer !== undefined && consumer.status !== 'DELETING';
        return consumer?.status === 'ACTIVE' ? of(consumer) : throwError(() => new NotActive(consumer?.status));
      }),
      retry({
        delay: (err: unknown, attempt: number) => {
          if (err instanceof NotActive) return timer(backoffDelay(attempt, pollPolicy), scheduler);
          report(asKinesisError(err, 'RegisterStreamConsumer', stream));
          return timer(backoffDelay(attempt, policy), scheduler);
        },
      }),
    );
  });
}
