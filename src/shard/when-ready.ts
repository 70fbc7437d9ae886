import { defer, filter, of, take, type Observable } from 'rxjs';
import type { ShardReaderOptions } from './shard-reader-options.js';

/** A reader's gate before each call or event: whether it is open now, and when it opens. */
export interface ReaderGate {
  /** Whether the reader may go on now, without subscribing to anything. */
  isOpen: () => boolean;
  /** Emits `true` once, when the reader may go on: at once when {@link isOpen} says so. */
  opened$: Observable<boolean>;
}

/**
 * The gate of a reader's `ready$` (pause, backpressure), with its synchronous `readyNow` asked
 * first: the usual case, a running shard with room, subscribes to no gate at all.
 */
export function whenReady({ ready$, readyNow }: Pick<ShardReaderOptions<unknown>, 'ready$' | 'readyNow'>): ReaderGate {
  if (ready$ === undefined) return { isOpen: () => true, opened$: of(true) };
  const isOpen = (): boolean => readyNow?.() === true;
  return { isOpen, opened$: defer(() => (isOpen() ? of(true) : ready$.pipe(filter(Boolean), take(1)))) };
}
