import type { StateStore } from './state-store.js';

/** The methods every {@link StateStore} must have; the others (`ready`, `heartbeat`, `listGroup`, `listClients`) are optional. */
export const STATE_STORE_METHODS = [
  'pingClient',
  'listAliveClients',
  'getShards',
  'updateShards',
  'getCheckpoints',
  'updateCheckpoints',
  'deregisterClient',
  'pruneClients',
  'listShardStates',
  'acquireShard',
  'releaseShard',
  'commitShard',
  'deleteShardStates',
] as const satisfies readonly (keyof StateStore)[];

/** The required {@link StateStore} methods `value` lacks (all of them for a value that is not an object). */
export function missingStateStoreMethods(value: unknown): (typeof STATE_STORE_METHODS)[number][] {
  const v = (typeof value === 'object' || typeof value === 'function') && value !== null ? (value as Record<string, unknown>) : {};
  return STATE_STORE_METHODS.filter((method) => typeof v[method] !== 'function');
}

/** Whether `value` implements {@link StateStore}: it has every required method. */
export function isStateStore(value: unknown): value is StateStore {
  return missingStateStoreMethods(value).length === 0;
}
