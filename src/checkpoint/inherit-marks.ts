/**
 * A client restarted under the same id inherits the marks its previous run committed in its
 * heartbeat: they stay in its heartbeats ({@link RetainedMarks}) until it takes those shards
 * again, so the take starts after them and not after the older checkpoint items.
 */
import { EMPTY, Observable, catchError, defer, from, mergeMap, type SchedulerLike } from 'rxjs';
import { StateStoreError, asStateStoreError, type KinesumerError } from '../errors.js';
import { answerWithin } from '../retry.js';
import type { ClientHeartbeat, StateStore } from '../state-store/state-store.js';
import type { RetainedMarks } from './retained-marks.js';

/** What inheriting needs. */
export interface InheritOptions {
  app: string;
  clientId: string;
  store: Pick<StateStore, 'listClients'>;
  report: (err: KinesumerError) => void;
  /** Bounds the store call (the checkpointer's call timeout). */
  call: <T>(operation: string) => (source: Observable<T>) => Observable<T>;
}

/**
 * Reads this client's own heartbeat from before its start into `retained`, with `listClients`
 * (for stores without `rejoin`, see {@link rejoin$}). Emits nothing; a store without
 * `listClients` inherits nothing, and a failed read is reported and the run goes on without them.
 */
export function inheritMarks$(retained: RetainedMarks, options: InheritOptions): Observable<never> {
  const { app, clientId, store, report, call } = options;
  if (store.listClients === undefined) return EMPTY;
  const listClients = store.listClients.bind(store);
  return defer(() => from(listClients(app))).pipe(
    call<ClientHeartbeat[]>('listClients'),
    mergeMap((clients) => {
      const own = clients.find((c) => c.clientId === clientId);
      if (own !== undefined) retained.inherit(own);
      return EMPTY;
    }),
    catchError((err: unknown) => {
      report(asStateStoreError(err, 'listClients'));
      return EMPTY;
    }),
  );
}

/** What {@link rejoin$} needs. */
export interface RejoinOptions {
  app: string;
  clientId: string;
  store: Required<Pick<StateStore, 'rejoin'>>;
  scheduler: SchedulerLike;
  /** Time allowed for the call, ms (a heartbeat's). */
  timeout: number;
}

/**
 * This run's first heartbeat with `store.rejoin`: it keeps the previous run's marks in the store
 * and hands them to `retained`. Emits nothing; fails as the store call fails (the next heartbeat
 * is then a rejoin again, so the marks are never overwritten unread).
 */
export function rejoin$(retained: RetainedMarks, options: RejoinOptions): Observable<never> {
  const { app, clientId, store, scheduler } = options;
  return defer(() => from(store.rejoin(app, clientId, new Date(scheduler.now())))).pipe(
    answerWithin(options.timeout, scheduler, (message) => new StateStoreError('rejoin', message, { retriable: true })),
    mergeMap((previous) => {
      if (previous !== undefined) retained.inherit(previous);
      return EMPTY;
    }),
  );
}
