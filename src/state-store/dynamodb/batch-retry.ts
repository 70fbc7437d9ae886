/**
 * DynamoDB's batch calls (BatchWriteItem, BatchGetItem) may succeed while leaving part of the
 * request undone (`UnprocessedItems`, `UnprocessedKeys`), usually because of throttling. The SDK
 * does not retry those; {@link retryUnprocessed} does, with backoff, up to a limit.
 */
import { StateStoreError } from '../../errors.js';
import { backoffDelay } from '../../retry.js';

/** How the items a batch call leaves unprocessed are retried. */
export interface BatchRetryOptions {
  /** Calls per batch, the first one included. Default 8. */
  maxAttempts?: number;
  /** Delay before the first retry, ms; doubled for every further one. Default 50. */
  initialDelayMs?: number;
  /** Largest delay between two calls, ms. Default 2000. */
  maxDelayMs?: number;
}

/** The defaults of {@link BatchRetryOptions}. */
export const DEFAULT_BATCH_RETRY: Required<BatchRetryOptions> = {
  maxAttempts: 8,
  initialDelayMs: 50,
  maxDelayMs: 2_000,
};

/** Splits `items` into arrays of at most `size` (DynamoDB allows 25 writes or 100 reads a call). */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/**
 * Calls `send` with `request`, then again with whatever it returns as unprocessed, waiting with
 * the library's backoff (`backoffDelay`: doubling, "equal jitter") between calls, until nothing is left or
 * `maxAttempts` calls were made. Errors thrown by `send` propagate unchanged.
 *
 * ## Example
 * ```ts
 * import { retryUnprocessed } from './batch-retry.js';
 * await retryUnprocessed('updateCheckpoints', writes, async (items) => {
 *   const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: items } }));
 *   return out.UnprocessedItems?.[table] ?? [];
 * });
 * ```
 * @param operation The state-store method, for the error message.
 * @param request The requests of the first call.
 * @param send Makes one call and returns the requests it left unprocessed.
 * @param options Attempts and delays; see {@link BatchRetryOptions}.
 * @throws StateStoreError (retriable) when requests are still unprocessed after the last call.
 */
export async function retryUnprocessed<R>(
  operation: string,
  request: readonly R[],
  send: (requests: readonly R[]) => Promise<readonly R[]>,
  options: BatchRetryOptions = {},
): Promise<void> {
  const { maxAttempts, initialDelayMs, maxDelayMs } = { ...DEFAULT_BATCH_RETRY, ...options };
  let pending = request;
  for (let attempt = 1; pending.length > 0; attempt++) {
    if (attempt > 1) await sleep(backoffDelay(attempt - 1, { initialDelay: initialDelayMs, maxDelay: maxDelayMs }));
    pending = await send(pending);
    if (pending.length > 0 && attempt >= Math.max(1, maxAttempts)) {
      throw new StateStoreError(
        operation,
        `${pending.length} of ${request.length} requests were still unprocessed after ${attempt} calls (throttled)`,
        { retriable: true },
      );
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
