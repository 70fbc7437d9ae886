/**
 * `kinesumer create-table`: creates the state-store table with kinesumer's keys and index and
 * waits until it is ACTIVE. On an existing table it only checks the schema, so running it twice
 * is fine.
 */
import { createStateTable } from '../state-store/dynamodb/create-table.js';
import { describeLocation } from '../state-store/dynamodb/dynamodb-errors.js';
import { DynamoDBStateStore } from '../state-store/dynamodb/dynamodb-state-store.js';
import { dynamoDBClient } from './aws-clients.js';
import type { CreateTableOptions } from './command-line.js';

/**
 * Runs `kinesumer create-table`.
 * @param options The parsed flags.
 * @param out Where the one result line goes (stdout).
 * @returns The exit code.
 */
export async function createTable(options: CreateTableOptions, out: NodeJS.WritableStream): Promise<number> {
  const client = dynamoDBClient({ region: options.region, dynamodbEndpoint: options.dynamodbEndpoint }, process.env);
  try {
    await createStateTable(client, options.table);
    // An existing table is accepted by createStateTable as it is: check that it has the schema.
    await new DynamoDBStateStore({ table: options.table, client }).ready();
    out.write(`table "${options.table}" is ACTIVE (${await describeLocation(client, { endpoint: options.dynamodbEndpoint })})\n`);
    return 0;
  } finally {
    client.destroy();
  }
}
