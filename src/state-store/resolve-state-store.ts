import type { DynamoDBStateStoreOptions } from '../config/resolve-config.js';
import { DynamoDBStateStore } from './dynamodb/dynamodb-state-store.js';
import type { StateStore } from './state-store.js';

/** Whether `value` implements {@link StateStore}. */
export function isStateStore(value: unknown): value is StateStore {
  const v = value as Partial<StateStore> | null | undefined;
  return (
    typeof v?.pingClient === 'function' &&
    typeof v.listAliveClients === 'function' &&
    typeof v.getShards === 'function' &&
    typeof v.getCheckpoints === 'function' &&
    typeof v.updateCheckpoints === 'function'
  );
}

/** The configured store: the given one, or a DynamoDB store for the given table. */
export function resolveStateStore(stateStore: StateStore | DynamoDBStateStoreOptions): StateStore {
  return isStateStore(stateStore) ? stateStore : new DynamoDBStateStore(stateStore);
}
