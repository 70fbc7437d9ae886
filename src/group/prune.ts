import { EMPTY, catchError, ignoreElements, type Observable } from 'rxjs';
import { asStateStoreError, type KinesumerError } from '../errors.js';
import type { StateStore } from '../state-store/state-store.js';
import type { StoreCall } from './store-call.js';

/**
 * The leader prunes dead clients at its first round as leader and then at the first round at
 * least this many sync intervals after the last prune. Nothing waits for it: a dead client counts
 * as dead by its heartbeat whether or not its item is still there, and whoever takes its shards
 * starts after its heartbeat checkpoints either way.
 */
export const PRUNE_EVERY = 6;

/**
 * When the leader prunes (see {@link PRUNE_EVERY}); it remembers the last prune, and forgets it
 * on losing the lead, so that a new leader prunes at once. One per run of the group sync.
 */
export class PruneCadence {
  private prunedAt = Number.NEGATIVE_INFINITY;

  /** @param every ms from one prune to the next: `PRUNE_EVERY` sync intervals. */
  constructor(private readonly every: number) {}

  /**
   * Whether the round starting at `at` prunes, counting it as the last prune if so. Never while
   * regaining the store after an outage: the others' heartbeats are as old as this client's was.
   */
  due(at: number, leader: boolean, regaining: boolean): boolean {
    const pruning = leader && !regaining && at - this.prunedAt >= this.every;
    if (pruning) this.prunedAt = at;
    else if (!leader) this.prunedAt = Number.NEGATIVE_INFINITY;
    return pruning;
  }
}

/**
 * Removes the clients whose heartbeat is older than `before` (ms, the scheduler's clock) from the
 * store; a failure is reported, and the next prune tries again.
 */
export function pruneDeadClients(store: StateStore, app: string, before: number, call: StoreCall, report: (err: KinesumerError) => void): Observable<never> {
  return call('pruneClients', () => store.pruneClients(app, new Date(before))).pipe(
    ignoreElements(),
    catchError((err: unknown) => {
      report(asStateStoreError(err, 'pruneClients'));
      return EMPTY;
    }),
  );
}
