/**
 * Doubles for the group specs: a state store that logs its calls by frame and can be made to
 * hang or fail, and a Kinesis seam answering ListShards from `of`/`cold` Observables.
 */
import { NEVER, concat, defer, ignoreElements, of, take, throwError, type Observable } from 'rxjs';
import type { KinesisApi, ShardDescription } from '../../src/kinesis/kinesis-api.js';
import type { MemoryStateStore } from '../../src/state-store/memory-state-store.js';
import type { StateStore } from '../../src/state-store/state-store.js';

/** What a logged store does with a call instead of answering it at once: hang, fail, or answer once `after` emits. */
export type Misbehaviour = 'hang' | { error: unknown } | { after: Observable<unknown> } | undefined;

/** Options of {@link loggedStore}. */
export interface LoggedStoreOptions {
  /** Leave `listGroup` out, as a store without heartbeat digests does. */
  withoutListGroup?: boolean;
  /** Decides, per call, whether it hangs or fails; `undefined` answers from the memory store. */
  misbehave?: (method: string, at: number) => Misbehaviour;
}

/**
 * `memory` with every call logged as `frame method detail` when it is made (on subscription: the
 * group sync defers its calls), dates as frames.
 */
export function loggedStore(memory: MemoryStateStore, now: () => number, log: string[], options: LoggedStoreOptions = {}): StateStore {
  return new Proxy(memory, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (name === 'listGroup' && options.withoutListGroup) return undefined;
      if (typeof value !== 'function' || typeof name !== 'string' || name === 'failNext' || name === 'snapshot') return value;
      return (...args: unknown[]) => {
        const at = now();
        log.push([at, name, ...args.slice(1).map(detail)].join(' ').trimEnd());
        const odd = options.misbehave?.(name, at);
        const answer = () => (value as (...a: unknown[]) => Observable<unknown>).apply(target, args);
        if (odd === 'hang') return NEVER;
        if (odd !== undefined && 'error' in odd) return throwError(() => odd.error);
        if (odd !== undefined) return concat(odd.after.pipe(take(1), ignoreElements()), defer(answer));
        return answer();
      };
    },
  }) as StateStore;
}

function detail(arg: unknown): string {
  if (arg instanceof Date) return String(arg.getTime());
  if (Array.isArray(arg)) return arg.map((x) => (typeof x === 'string' ? x.slice(-1) : typeof x === 'object' && x !== null && 'id' in x ? String(x.id).slice(-1) : '?')).join(',');
  if (typeof arg === 'number') return String(arg);
  if (typeof arg === 'object' && arg !== null && ('from' in arg || 'before' in arg)) {
    const { from, before } = arg as { from?: string; before?: string };
    return `${from?.slice(-4) ?? ''}..${before?.slice(-4) ?? ''}`;
  }
  if (typeof arg === 'object' && arg !== null && 'checkpoints' in arg) return (arg as { digests?: object }).digests === undefined ? '-' : 'digests';
  return typeof arg === 'string' ? arg : '';
}

/**
 * A Kinesis seam whose ListShards answers with `answer(stream)` (an `of` or a `cold`), logged as
 * `frame listShards stream`; readers are not used by the group sync.
 */
export function kinesisDouble(
  now: () => number,
  log: string[],
  answer: (stream: string) => Observable<ShardDescription[]>,
): KinesisApi {
  const unused = () => throwError(() => new Error('not used by the group sync'));
  return {
    listShards: (stream) =>
      defer(() => {
        log.push(`${now()} listShards ${stream}`);
        return answer(stream);
      }),
    getShardIterator: unused,
    getRecords: unused,
  };
}

/** A seam that lists `shards` for every stream at once. */
export function openStreams(now: () => number, log: string[], shards: ShardDescription[]): KinesisApi {
  return kinesisDouble(now, log, () => of(shards.map((s) => ({ ...s }))));
}
