import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AwsSdkClient } from '../../internal/sdk-client.js';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

/** How to reach the DynamoDB state store when no `StateStore` is given. */
export interface DynamoDBStateStoreOptions {
  /** Table name (at least 3 characters). kinesumer's default name is `kinesumer-state-store`. */
  table: string;
  /**
   * A DynamoDB client to use, from the library's copy of `@aws-sdk/client-dynamodb` or the
   * application's own (any 3.x: its settings are adopted into a client of the library's copy).
   * `createKinesumer` refuses `region`, `endpoint` and `credentials` next to it: the client
   * brings its own.
   */
  client?: DynamoDBClient | AwsSdkClient;
  /** AWS region, without `client`. Default: the top-level `region`, then the SDK's. */
  region?: string;
  /** Endpoint URL, without `client`, for emulators such as dynalite. */
  endpoint?: string;
  /** Credentials or a provider, without `client`. Default: the SDK's default chain. */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
}
