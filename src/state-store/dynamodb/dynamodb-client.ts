import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { kindOf } from '../../config/reporter.js';
import { ConfigError } from '../../errors.js';
import { adoptSdkClient, checkSdkClient, type AwsSdkClient } from '../../internal/sdk-client.js';

/** The SDK package of the state store's client, as hints name it. */
export const DYNAMODB_PACKAGE = '@aws-sdk/client-dynamodb';

/**
 * `client` as a `DynamoDBClient` of the library's own SDK copy: the same object when it is one,
 * otherwise a new client with its settings (see `adoptSdkClient`), so that the library's
 * commands run on matching client code whichever copy of the SDK the application uses.
 *
 * @param client The application's DynamoDB client (any AWS SDK v3 copy).
 * @param path How to name the value in the error, such as `createStateTable(client)`.
 * @returns A `DynamoDBClient` of the library's copy.
 * @throws {ConfigError} When `client` is not an AWS SDK v3 DynamoDB client.
 */
export function dynamoDBClientOf(client: DynamoDBClient | AwsSdkClient, path: string): DynamoDBClient {
  const check = checkSdkClient(client, 'DynamoDB', DynamoDBClient, DYNAMODB_PACKAGE);
  if (check?.ok) return adoptSdkClient(client, DynamoDBClient);
  const hint = check?.hint ?? ` - pass an AWS SDK v3 client (${DYNAMODB_PACKAGE})`;
  throw new ConfigError([{ path, message: `Expecting DynamoDBClient at ${path} but instead got: ${kindOf(client)}${hint}` }]);
}
