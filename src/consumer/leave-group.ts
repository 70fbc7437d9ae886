import { EMPTY, Observable, catchError, concat, defer, from, ignoreElements, type SchedulerLike } from 'rxjs';
import type { EnhancedFanOut } from '../efo/enhanced-fan-out.js';
import { StateStoreError, asStateStoreError, type KinesumerError } from '../errors.js';
import { answerWithin } from '../retry.js';
import type { StateStore } from '../state-store/state-store.js';
import type { KinesumerParts } from './kinesumer-parts.js';

/** What leaving the group needs. */
export interface LeaveGroupOptions {
  app: string;
  clientId: string;
  store: Pick<StateStore, 'deregisterClient'>;
  scheduler: SchedulerLike;
  /** Time allowed for the call, ms (`commit.timeout`). */
  timeout: number;
  report: (err: KinesumerError) => void;
  efo: EnhancedFanOut | undefined;
  /** The streams consumed now. */
  streams: () => readonly string[];
}

/**
 * Deregisters this client: the others take its shards at their next sync. With
 * `efo.deregisterOnClose`, the group's last client then deregisters the stream consumers.
 * Emits nothing; never errors (failures are reported).
 */
export function leaveGroup$(options: LeaveGroupOptions): Observable<never> {
  const { app, clientId, store, scheduler, timeout, report } = options;
  return concat(
    defer(() => from(store.deregisterClient(app, clientId))).pipe(
      answerWithin(timeout, scheduler, (message) => new StateStoreError('deregisterClient', message, { retriable: true })),
      ignoreElements(),
      catchError((err: unknown) => {
        report(asStateStoreError(err, 'deregisterClient'));
        return EMPTY;
      }),
    ),
    defer(() => options.efo?.leave$(options.streams()) ?? EMPTY),
  );
}

/** {@link leaveGroup$} for a consumer made of `parts`, consuming `streams()` now. */
export function leaveGroupOf(parts: KinesumerParts, streams: () => readonly string[]): Observable<never> {
  const { config, store, efo, report } = parts;
  return leaveGroup$({ app: config.app, clientId: config.clientId, store, scheduler: config.scheduler, timeout: config.commit.timeout, report, efo, streams });
}

/**
 * How a closing consumer made of `parts` ends its membership, after its pipelines drained: with
 * `group.staticMembership`, its marks are written and its shards stay reserved for its id (no
 * release, no deregistration: the others wait `clientTimeout` for it to come back); otherwise its
 * shards are freed after the final commit and it leaves the group, so whoever takes them over
 * starts after that commit. `wasRunning`: the group ran (otherwise there is no membership to end).
 */
export function endMembership$(parts: KinesumerParts, wasRunning: boolean, streams: () => readonly string[]): Observable<never> {
  if (parts.config.group.staticMembership && wasRunning) return concat(lastHeartbeat$(parts), parts.checkpointer.close$(true));
  return concat(parts.checkpointer.close$(), wasRunning ? leaveGroupOf(parts, streams) : EMPTY);
}

/**
 * A static member's last heartbeat before it closes (carrying its marks, with heartbeat commits):
 * its shards stay reserved for `clientTimeout` from now. Emits nothing; never errors.
 */
function lastHeartbeat$(parts: KinesumerParts): Observable<never> {
  const { config, store, checkpointer, report } = parts;
  const operation = checkpointer.writesHeartbeats ? 'heartbeat' : 'pingClient';
  const beat$ = checkpointer.writesHeartbeats ? checkpointer.lastBeat$() : defer(() => from(store.pingClient(config.app, config.clientId, new Date(config.scheduler.now()))));
  return beat$.pipe(
    answerWithin<unknown>(config.group.clientTimeout, config.scheduler, (message) => new StateStoreError(operation, message, { retriable: true })),
    ignoreElements(),
    catchError((err: unknown) => (report(asStateStoreError(err, operation)), EMPTY)),
  );
}
