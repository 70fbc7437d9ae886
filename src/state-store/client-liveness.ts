/**
 * When a client counts as alive, by its own last heartbeat: one rule for listing the group,
 * pruning it and deciding whether a shard's holder may lose the shard.
 */

/** Whether a client last heard from at `lastUpdate` is alive: strictly later than `since`. */
export function isAlive(lastUpdate: Date, since: Date): boolean {
  return lastUpdate.getTime() > since.getTime();
}

/** Whether a client last heard from at `lastUpdate` may be pruned: strictly earlier than `before`. */
export function isExpired(lastUpdate: Date, before: Date): boolean {
  return lastUpdate.getTime() < before.getTime();
}
