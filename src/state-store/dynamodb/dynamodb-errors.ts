/**
 * Turns AWS SDK errors from DynamoDB calls into the library's errors: a missing table becomes a
 * {@link TableNotFoundError}, everything else a {@link StateStoreError} whose `retriable` says
 * whether trying again can help (throttling, 5xx, network trouble, timeouts) or not (validation,
 * access denied).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesumerError, StateStoreError, TableNotFoundError, describeCause, redactSecrets } from '../../errors.js';

/** Error names DynamoDB or the SDK use for conditions that pass with time. */
const RETRIABLE_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'Throttling',
  'RequestLimitExceeded',
  'RequestThrottledException',
  'TooManyRequestsException',
  'LimitExceededException',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TransactionConflictException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);

/** Node.js socket error codes. */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/**
 * Whether an error thrown by a DynamoDB call is worth retrying: throttling, server errors (5xx),
 * socket errors and timeouts, or anything the SDK marked `$retryable`.
 */
export function isRetriableAwsError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as SdkErrorShape;
  if (e.$retryable !== undefined && e.$retryable !== null && e.$retryable !== false) return true;
  if (typeof e.name === 'string' && RETRIABLE_NAMES.has(e.name)) return true;
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  const status = e.$metadata?.httpStatusCode;
  return typeof status === 'number' && (status >= 500 || status === 429);
}

/** Whether `err` says the table (or another named resource) does not exist. */
export function isResourceNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as SdkErrorShape).name === 'ResourceNotFoundException';
}

export { redactSecrets };

/** What {@link toStateStoreError} needs to name a missing table. */
export interface TableContext {
  table: string;
  /** Region and endpoint, such as `region us-east-1, endpoint http://127.0.0.1:4567`. */
  location: string;
}

/**
 * Maps an error thrown by a DynamoDB call of `operation` to the library's errors. A
 * {@link KinesumerError} passes through unchanged.
 *
 * ## Example
 * ```ts
 * import { toStateStoreError } from './dynamodb-errors.js';
 * try { await client.send(command); }
 * catch (err) { throw toStateStoreError('pingClient', err, { table, location }); }
 * ```
 * @param operation The state-store method that failed, such as `pingClient`.
 * @param err What the SDK threw.
 * @param context The table and where it was looked for.
 * @returns A {@link TableNotFoundError} or a {@link StateStoreError} with `cause` set to `err`.
 */
export function toStateStoreError(operation: string, err: unknown, context: TableContext): KinesumerError {
  if (err instanceof KinesumerError) return err;
  if (isResourceNotFound(err)) return new TableNotFoundError(context.table, context.location, { cause: err });
  const status = (err as SdkErrorShape | null)?.$metadata?.httpStatusCode;
  const suffix = typeof status === 'number' ? ` (HTTP ${status})` : '';
  return new StateStoreError(operation, `${describeCause(err)}${suffix} on table "${context.table}"`, {
    cause: err,
    retriable: isRetriableAwsError(err),
  });
}

/**
 * Where a client sends its requests, for messages: `region us-east-1, endpoint
 * http://127.0.0.1:4567` (the endpoint only when one is configured, without any user info).
 *
 * @param client The DynamoDB client.
 * @param given Region and endpoint as given in options, which win over the client's.
 * @returns A short description; never fails.
 */
export async function describeLocation(
  client: DynamoDBClient,
  given: { region?: string | undefined; endpoint?: string | undefined } = {},
): Promise<string> {
  let region = given.region;
  if (region === undefined) {
    try {
      region = await client.config.region();
    } catch {
      region = undefined;
    }
  }
  let endpoint: string | undefined;
  if (given.endpoint !== undefined) {
    endpoint = stripUserInfo(given.endpoint);
  } else if (client.config.endpoint !== undefined) {
    try {
      const e = await client.config.endpoint();
      endpoint = `${e.protocol}//${e.hostname}${e.port === undefined ? '' : `:${e.port}`}${e.path === '/' ? '' : e.path}`;
    } catch {
      endpoint = undefined;
    }
  }
  return [`region ${region ?? '(unknown)'}`, ...(endpoint === undefined ? [] : [`endpoint ${endpoint}`])].join(', ');
}

function stripUserInfo(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    url.username = '';
    url.password = '';
    return url.toString().replace(/\/$/, '');
  } catch {
    return redactSecrets(endpoint.replace(/\/\/[^@/]*@/, '//'));
  }
}
