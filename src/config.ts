import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { SchedulerLike } from 'rxjs';
import type { StateStore } from './state-store/state-store.js';

/** Where a shard without a checkpoint starts. */
export type InitialPosition = 'LATEST' | 'TRIM_HORIZON' | { timestamp: Date };

/** How to reach Kinesis when no client is given. */
export interface KinesisOptions {
  /** AWS region. Default: the SDK's (AWS_REGION, profile). */
  region?: string;
  /** Endpoint URL, for emulators such as kinesis-local. */
  endpoint?: string;
  /** Credentials or a provider. Default: the SDK's default chain. */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** IAM role to assume for a stream in another account (a later release implements it). */
  roleArn?: string;
  /**
   * Use an HTTP/1.1 handler instead of the SDK default. kinesis-local answers HTTP/2 with a
   * protocol error; real AWS works with both for polling. Default `false`.
   */
  http1?: boolean;
}

/** How to reach the DynamoDB state store when no `StateStore` is given. */
export interface DynamoDBStateStoreOptions {
  /** Table name (at least 3 characters). kinesumer's default name is `kinesumer-state-store`. */
  table: string;
  /** A DynamoDB client to use; region/endpoint/credentials are then ignored. */
  client?: DynamoDBClient;
  region?: string;
  endpoint?: string;
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
}

/** The configuration accepted by `createKinesumer`. Every field is documented with its default. */
export interface KinesumerConfig {
  /** Application (consumer group) name; clients with the same app share shards. Required. */
  app: string;
  /** This client's id, unique in the group. Default: hostname plus a random suffix. */
  clientId?: string;
  /** A Kinesis client, or how to build one. */
  kinesis: KinesisClient | KinesisOptions;
  /** A state store, or the DynamoDB table to use. */
  stateStore: StateStore | DynamoDBStateStoreOptions;
  /** Where shards without a checkpoint start. Default `'LATEST'`. */
  initialPosition?: InitialPosition;
  group?: {
    /** Heartbeat, membership and shard-list sync period, ms. Default 5000. */
    syncInterval?: number;
    /** A client not seen for this long is dead, ms. Must exceed `syncInterval`. Default 10000. */
    clientTimeout?: number;
  };
  commit?: {
    /** Commit marks every `interval` ms while consuming. Default `true`. */
    auto?: boolean;
    /** Auto-commit period, ms. Default 5000. */
    interval?: number;
    /** Time allowed for one commit, ms. Default 2000. */
    timeout?: number;
  };
  polling?: {
    /** Records per GetRecords call, 1..10000. Default 2000 (kinesumer's). */
    scanLimit?: number;
    /** Time allowed for one GetRecords call, ms. Default 2000. */
    scanTimeout?: number;
    /** Wait after an empty or short batch before polling again, ms, at least 200. Default 1000. */
    idleInterval?: number;
  };
  retry?: {
    /** First backoff delay, ms. Default 100. */
    initialDelay?: number;
    /** Largest backoff delay, ms. Default 30000. */
    maxDelay?: number;
  };
  /** Scheduler for every timer (heartbeats, intervals, timeouts, backoff). Default `asyncScheduler`. */
  scheduler?: SchedulerLike;
}

/** The decoded configuration, with every default filled in. */
export interface ResolvedConfig {
  app: string;
  clientId: string;
  kinesis: KinesisClient | KinesisOptions;
  stateStore: StateStore | DynamoDBStateStoreOptions;
  initialPosition: InitialPosition;
  group: { syncInterval: number; clientTimeout: number };
  commit: { auto: boolean; interval: number; timeout: number };
  polling: { scanLimit: number; scanTimeout: number; idleInterval: number };
  retry: { initialDelay: number; maxDelay: number };
  scheduler: SchedulerLike;
}

/**
 * Decodes and validates `input` synchronously, filling in defaults. Throws one `ConfigError`
 * that lists every bad field by dotted path (`Config.group.syncInterval`) and what was expected.
 */
export function resolveConfig(input: unknown): ResolvedConfig {
  throw new Error('not implemented');
}
