/**
 * Whether a described table can hold the state store: ACTIVE (or UPDATING), with kinesumer's keys
 * and local secondary index. What {@link DynamoDBStateStore.ready} checks.
 */
import type { TableDescription } from '@aws-sdk/client-dynamodb';
import { StateStoreError } from '../../errors.js';
import { CLIENT_LAST_UPDATE_INDEX } from './create-table.js';

/**
 * Why the described table cannot be used yet, or at all; `undefined` when it can.
 *
 * @param table The table's description (`undefined` fields are not checked).
 * @param where The table's name and location, for the message.
 * @returns A StateStoreError of `ready`: retriable while the table is CREATING.
 */
export function tableProblem(table: TableDescription, where: string): StateStoreError | undefined {
  if (table.TableStatus === 'CREATING') {
    return new StateStoreError('ready', `${where} is still CREATING`, { retriable: true });
  }
  if (table.TableStatus !== undefined && table.TableStatus !== 'ACTIVE' && table.TableStatus !== 'UPDATING') {
    return new StateStoreError('ready', `${where} is ${table.TableStatus}, not ACTIVE`);
  }
  const problems = schemaProblems(table);
  if (problems.length === 0) return undefined;
  return new StateStoreError(
    'ready',
    `${where} does not have kinesumer's state-store schema: ${problems.join('; ')}. Expected keys pk (HASH, S) ` +
      `and sk (RANGE, S) and the local secondary index "${CLIENT_LAST_UPDATE_INDEX}" (pk HASH, last_update ` +
      'RANGE, S); see stateTableDefinition().',
  );
}

/** What is wrong with a table's keys and index, as short phrases; empty when all is right. */
export function schemaProblems(table: TableDescription): string[] {
  const problems: string[] = [];
  const types = new Map((table.AttributeDefinitions ?? []).map((a) => [a.AttributeName, a.AttributeType] as const));
  const showKeys = (keys: TableDescription['KeySchema']) =>
    (keys ?? []).map((k) => `${k.AttributeName} ${k.KeyType}`).join(', ') || 'none';
  const hasKeys = (keys: TableDescription['KeySchema'], hash: string, range: string) =>
    keys?.length === 2 &&
    keys.some((k) => k.AttributeName === hash && k.KeyType === 'HASH') &&
    keys.some((k) => k.AttributeName === range && k.KeyType === 'RANGE');

  if (!hasKeys(table.KeySchema, 'pk', 'sk')) {
    problems.push(`the key schema is (${showKeys(table.KeySchema)}), not (pk HASH, sk RANGE)`);
  }
  for (const name of ['pk', 'sk']) {
    const type = types.get(name);
    if (type !== undefined && type !== 'S') problems.push(`attribute ${name} has type ${type}, not S`);
  }
  const index = table.LocalSecondaryIndexes?.find((i) => i.IndexName === CLIENT_LAST_UPDATE_INDEX);
  if (index === undefined) {
    problems.push(`the local secondary index "${CLIENT_LAST_UPDATE_INDEX}" is missing`);
  } else {
    if (!hasKeys(index.KeySchema, 'pk', 'last_update')) {
      problems.push(
        `the index "${CLIENT_LAST_UPDATE_INDEX}" has keys (${showKeys(index.KeySchema)}), not (pk HASH, last_update RANGE)`,
      );
    }
    const type = types.get('last_update');
    if (type !== undefined && type !== 'S') problems.push(`attribute last_update has type ${type}, not S`);
  }
  return problems;
}
