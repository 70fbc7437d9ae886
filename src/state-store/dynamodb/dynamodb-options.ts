import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

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
