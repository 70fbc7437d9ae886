/**
 * The types of `createKinesumer`'s configuration: what the user gives ({@link KinesumerConfig})
 * and what `resolveConfig` makes of it ({@link ResolvedConfig}). Types only, so that any
 * module may import them without pulling in the decoder.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { SchedulerLike } from 'rxjs';
import type { AssignmentStrategy } from '../group/assign-stream.js';
import type { AwsSdkClient } from '../internal/sdk-client.js';
import type { KinesisApi } from '../kinesis/kinesis-api.js';
import type { KinesisOptions } from '../kinesis/kinesis-options.js';
import type { Logger } from '../logger.js';
import type { DynamoDBStateStoreOptions } from '../state-store/dynamodb/dynamodb-options.js';
import type { StateStore } from '../state-store/state-store.js';

/** Where a shard without a checkpoint starts. */
export type InitialPosition = 'LATEST' | 'TRIM_HORIZON' | { timestamp: Date };

/** The configuration accepted by `createKinesumer`. Every field is documented with its default. */
export interface KinesumerConfig {
  /** Application (consumer group) name; clients with the same app share shards. Required. */
  app: string;
  /** Default region of Kinesis and DynamoDB; `kinesis.region` and `stateStore.region` win. */
  region?: string;
  /** This client's id, unique in the group. Default: hostname plus a random suffix. */
  clientId?: string;
  /**
   * A Kinesis client, how to build one, or a ready `KinesisApi` seam (tests, custom transports).
   * A client may come from the application's own copy of `@aws-sdk/client-kinesis` (any 3.x):
   * its settings are then adopted into a client of the library's copy (see the README, "Your
   * own AWS SDK clients").
   */
  kinesis: KinesisClient | AwsSdkClient | KinesisOptions | KinesisApi;
  /** A state store, or the DynamoDB table to use. */
  stateStore: StateStore | DynamoDBStateStoreOptions;
  /** Where shards without a checkpoint start. Default `'LATEST'`. */
  initialPosition?: InitialPosition;
  group?: {
    /** Heartbeat, membership and shard-list sync period, ms. Default 5000. */
    syncInterval?: number;
    /** A client not seen for this long is dead, ms. Must exceed `syncInterval`. Default 10000. */
    clientTimeout?: number;
    /**
     * How shards are split among the clients (see the README, "Balancing"): `'sticky'` keeps each
     * shard with its owner up to a fair share and moves only orphaned and excess shards;
     * `'balanced'` does the same weighted by each shard's published throughput; `'kinesumer'` is
     * kinesumer's slices of the sorted shard list by client index. Default `'sticky'`.
     */
    assignment?: AssignmentStrategy;
    /**
     * Static membership (as Kafka's `group.instance.id`): `close()` drains and commits but keeps
     * this client's shards reserved for its `clientId` until `clientTimeout` after its last
     * heartbeat, so that a restart under the same id (a rolling deploy) moves nothing; if it does
     * not come back, the others take the shards as after a crash. Needs an explicit `clientId`.
     * Default `false`: `close()` hands the shards over at once.
     */
    staticMembership?: boolean;
  };
  commit?: {
    /** Commit marks every `interval` ms while consuming. Default `true`. */
    auto?: boolean;
    /** Auto-commit period, ms. Default 5000. */
    interval?: number;
    /** Time allowed for one commit, ms. Default 2000. */
    timeout?: number;
    /**
     * With a state store that carries checkpoints in heartbeats (both built-in ones do), how often
     * the per-shard checkpoint items (kinesumer's layout) are brought up to date, ms. Commits go
     * into the heartbeat in between; items are also written when a shard is released or finished
     * and on close. Default 60000.
     */
    itemInterval?: number;
  };
  polling?: {
    /** Records per GetRecords call, 1..10000. Default 2000 (kinesumer's). */
    scanLimit?: number;
    /**
     * Time allowed for one GetRecords call (the whole answer), ms. Default 1 ms per record of
     * `scanLimit`, at least 2000 (kinesumer's, at the default `scanLimit`): a dead connection is
     * noticed quickly, and a large page is not cut off. A call that timed out is retried asking for
     * half as many records (down to 1/16), so a page too big for the link does not stall the shard.
     */
    scanTimeout?: number;
    /** Wait after an empty or short batch before polling again, ms, at least 200. Default 1000. */
    idleInterval?: number;
    /**
     * Backpressure: records of one shard delivered but not yet marked by `checkpoint()`, at most.
     * The reader fetches only as many as fit and waits while the shard is at the bound. Default 4000.
     */
    maxInFlight?: number;
  };
  retry?: {
    /** First backoff delay, ms. Default 100. */
    initialDelay?: number;
    /** Largest backoff delay, ms. Default 30000. */
    maxDelay?: number;
    /**
     * Where backoff jitter comes from: a function returning a number in [0, 1). Default
     * `Math.random`. Tests pass a constant (`() => 0.5`) to get exact frames on failure paths.
     */
    random?: () => number;
  };
  /** Scheduler for every timer (heartbeats, intervals, timeouts, backoff). Default `asyncScheduler`. */
  scheduler?: SchedulerLike;
  metrics?: {
    /** Period of `metrics$` snapshots, ms. Default 10000. */
    interval?: number;
    /**
     * An owned shard that is behind the tip (`MillisBehindLatest` > 0 at its last read), or whose
     * Kinesis calls fail, and delivers nothing for this long is reported stalled (`shardStalled`
     * event, `ShardStalledError`), ms. Paused shards are not. Default 60000.
     */
    stallTimeout?: number;
  };
  /**
   * Where log lines go: any object with `debug`, `info`, `warn` and `error` (pino's shape,
   * `(fields, message)`). Default: warnings and errors as one line each on stderr, nothing else.
   */
  logger?: Logger;
  /**
   * Enhanced fan-out: read each owned shard with SubscribeToShard (dedicated throughput per
   * consumer) instead of GetRecords polling. `true`, or options. Default `false`.
   */
  efo?: boolean | EfoOptions;
}

/** Enhanced fan-out options (`efo`). */
export interface EfoOptions {
  /**
   * The stream consumer to register on every consumed stream (1 to 128 of a-z, A-Z, 0-9, `_`,
   * `.`, `-`). Default: `app`, with `-<region>` appended when a region is configured (kinesumer's
   * name, so both libraries register the same consumer).
   */
  consumerName?: string;
  /**
   * Deregister the consumers when the group's last client leaves. Default `false`: registering
   * again takes seconds to tens of seconds before reading can start, a consumer still being
   * deleted blocks registering its name again, and a group that stops briefly (a deploy, a
   * restart) would pay that every time. A registered consumer costs money per shard-hour, so
   * deregister consumers of retired apps yourself, or set this for short-lived groups.
   */
  deregisterOnClose?: boolean;
}

/** The decoded configuration, with every default filled in. */
export interface ResolvedConfig {
  app: string;
  clientId: string;
  kinesis: KinesisClient | KinesisOptions | KinesisApi;
  stateStore: StateStore | DynamoDBStateStoreOptions;
  initialPosition: InitialPosition;
  group: { syncInterval: number; clientTimeout: number; assignment: AssignmentStrategy; staticMembership: boolean };
  commit: { auto: boolean; interval: number; timeout: number; itemInterval: number };
  polling: { scanLimit: number; scanTimeout: number; idleInterval: number; maxInFlight: number };
  retry: { initialDelay: number; maxDelay: number; random?: () => number };
  scheduler: SchedulerLike;
  metrics: { interval: number; stallTimeout: number };
  logger: Logger;
  /** `false`, or enhanced fan-out with `consumerName` as given (the default is found at consume). */
  efo: false | { consumerName: string | undefined; deregisterOnClose: boolean };
}
