/**
 * Creating the state-store table with kinesumer's schema: string keys `pk` (HASH) and `sk`
 * (RANGE) and the local secondary index `index-client-key-last-update` (HASH `pk`, RANGE
 * `last_update`, KEYS_ONLY). A table made here works with the Go library and the other way round.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  type BillingMode,
  type CreateTableCommandInput,
  type DynamoDBClient,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { StateStoreError } from '../../errors.js';
import type { AwsSdkClient } from '../../internal/sdk-client.js';
import { dynamoDBClientOf } from './dynamodb-client.js';
import { describeLocation, toStateStoreError } from './dynamodb-errors.js';

/** The name of kinesumer's local secondary index on the client items' `last_update`. */
export const CLIENT_LAST_UPDATE_INDEX = 'index-client-key-last-update';

/** Options of {@link createStateTable}. */
export interface CreateStateTableOptions {
  /** `PAY_PER_REQUEST` (on-demand) or `PROVISIONED`. Default `PAY_PER_REQUEST`. */
  billingMode?: BillingMode;
  /** Read capacity units when `billingMode` is `PROVISIONED`. Default 10 (kinesumer's example). */
  readCapacityUnits?: number;
  /** Write capacity units when `billingMode` is `PROVISIONED`. Default 10. */
  writeCapacityUnits?: number;
  /** How long to wait for the table to become ACTIVE, ms. Default 120000. */
  waitTimeoutMs?: number;
}

/**
 * The `CreateTable` input for a state-store table; the same JSON works with
 * `aws dynamodb create-table --cli-input-json`.
 *
 * ## Example
 * ```ts
 * import { stateTableDefinition } from 'rx-kinesumer';
 * console.log(JSON.stringify(stateTableDefinition('kinesumer-state-store'), null, 2));
 * ```
 * @param table The table name.
 * @param options Billing mode and, for `PROVISIONED`, capacity.
 * @returns The input of a `CreateTableCommand`.
 */
export function stateTableDefinition(
  table: string,
  options: Pick<CreateStateTableOptions, 'billingMode' | 'readCapacityUnits' | 'writeCapacityUnits'> = {},
): CreateTableCommandInput {
  const billingMode = options.billingMode ?? 'PAY_PER_REQUEST';
  return {
    TableName: table,
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: 'last_update', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    LocalSecondaryIndexes: [
      {
        IndexName: CLIENT_LAST_UPDATE_INDEX,
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'last_update', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ],
    BillingMode: billingMode,
    ...(billingMode === 'PROVISIONED'
      ? {
          ProvisionedThroughput: {
            ReadCapacityUnits: options.readCapacityUnits ?? 10,
            WriteCapacityUnits: options.writeCapacityUnits ?? 10,
          },
        }
      : {}),
  };
}

/**
 * Creates the state-store table and waits until it is ACTIVE. A table that already exists is not
 * an error: the call then only waits for it (its schema is checked by the store's `ready()`).
 *
 * ## Example
 * ```ts
 * import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
 * import { createStateTable } from 'rx-kinesumer';
 * await createStateTable(new DynamoDBClient({ region: 'us-east-1' }), 'kinesumer-state-store');
 * ```
 * @param dynamodb The DynamoDB client: the library's copy of `@aws-sdk/client-dynamodb` or the
 *   application's own (any 3.x; its settings are adopted into a client of the library's copy).
 * @param table The table name (at least 3 characters).
 * @param options Billing mode and how long to wait.
 * @returns The table's description once it is ACTIVE.
 * @throws {ConfigError} When `dynamodb` is not an AWS SDK v3 DynamoDB client.
 */
export async function createStateTable(
  dynamodb: DynamoDBClient | AwsSdkClient,
  table: string,
  options: CreateStateTableOptions = {},
): Promise<TableDescription> {
  const client = dynamoDBClientOf(dynamodb, 'createStateTable(client)');
  try {
    await client.send(new CreateTableCommand(stateTableDefinition(table, options)));
  } catch (err) {
    if ((err as { name?: unknown } | null)?.name !== 'ResourceInUseException') {
      throw toStateStoreError('createStateTable', err, { table, location: await describeLocation(client) });
    }
  }
  return waitForActive(client, table, options.waitTimeoutMs ?? 120_000);
}

/** Polls DescribeTable (100 ms, doubling up to 2 s) until the table is ACTIVE or time is up. */
async function waitForActive(client: DynamoDBClient, table: string, timeoutMs: number): Promise<TableDescription> {
  const deadline = Date.now() + timeoutMs;
  let delay = 100;
  for (;;) {
    let description: TableDescription | undefined;
    try {
      description = (await client.send(new DescribeTableCommand({ TableName: table }))).Table;
    } catch (err) {
      // Right after CreateTable, DescribeTable can briefly answer ResourceNotFound.
      if ((err as { name?: unknown } | null)?.name !== 'ResourceNotFoundException') {
        throw toStateStoreError('createStateTable', err, { table, location: await describeLocation(client) });
      }
    }
    if (description?.TableStatus === 'ACTIVE') return description;
    if (Date.now() + delay > deadline) {
      throw new StateStoreError(
        'createStateTable',
        `table "${table}" (${await describeLocation(client)}) is ${description?.TableStatus ?? 'not visible'} ` +
          `after ${timeoutMs} ms, not ACTIVE`,
        { retriable: true },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 2_000);
  }
}
