import type { DynamoDBStateStoreOptions } from './dynamodb/dynamodb-options.js';
import { DynamoDBStateStore } from './dynamodb/dynamodb-state-store.js';
import { isStateStore } from './is-state-store.js';
import type { StateStore } from './state-store.js';

/** The configured store: the given one, or a DynamoDB store for the given table. */
export function resolveStateStore(stateStore: StateStore | DynamoDBStateStoreOptions): StateStore {
  return isStateStore(stateStore) ? stateStore : new DynamoDBStateStore(stateStore);
}
