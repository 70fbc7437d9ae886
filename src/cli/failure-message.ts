/**
 * One line for anything that stops a command: what failed and where, in words an operator can act
 * on (a missing table names the command that creates it; an unreachable endpoint names the
 * endpoint). Stack traces are for `--debug` only ({@link debugDetails}).
 */
import { ConfigError, KinesisError, KinesumerError, StateStoreError, StreamNotFoundError, TableNotFoundError, redactSecrets } from '../errors.js';
import { CommandLineError } from './command-line.js';

/** Where each service was called, for messages: `endpoint http://127.0.0.1:4567, region us-east-1`. */
export interface Whereabouts {
  kinesis?: string;
  dynamodb?: string;
}

/** Node.js and SDK codes of a connection that could not be made or was lost. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'TimeoutError']);

/** The config paths the command line sets, by flag. */
const FLAG_OF_PATH: Record<string, string> = {
  'Config.group.syncInterval': '--sync-interval',
  'Config.group.clientTimeout': '--client-timeout',
  'Config.commit.interval': '--commit-interval',
  'Config.clientId': '--client-id',
  'Config.app': '--app',
};

/**
 * The one line that describes `err`, without the program-name prefix.
 * @param err What stopped the command.
 * @param where Where Kinesis and DynamoDB were called.
 */
export function failureMessage(err: unknown, where: Whereabouts = {}): string {
  if (err instanceof CommandLineError) return err.message;
  if (err instanceof ConfigError) return err.problems.map((p) => withFlags(p.message)).join('; ');

  const service = err instanceof KinesisError || err instanceof StreamNotFoundError ? 'kinesis' : err instanceof StateStoreError || err instanceof TableNotFoundError ? 'dynamodb' : undefined;
  const place = (s: 'kinesis' | 'dynamodb' | undefined) => (s === undefined ? '' : where[s] === undefined ? '' : ` (${where[s]})`);
  const name = { kinesis: 'Kinesis', dynamodb: 'DynamoDB' };

  const unreachable = findCause(err, (e) => UNREACHABLE.has(String(e.code ?? '')) || UNREACHABLE.has(String(e.name ?? '')));
  if (unreachable !== undefined) {
    const what = service === undefined ? 'AWS' : name[service];
    return `cannot reach ${what}${place(service)}: ${oneLine(String(unreachable.message ?? unreachable.code))}`;
  }
  const credentials = findCause(err, (e) => e.name === 'CredentialsProviderError');
  if (credentials !== undefined) {
    return 'no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE (emulators accept any values)';
  }
  if (findCause(err, (e) => /Region is missing/i.test(String(e.message ?? ''))) !== undefined) {
    return 'no AWS region: pass --region or set AWS_REGION';
  }
  if (err instanceof TableNotFoundError) {
    return `state-store table "${err.table}" was not found (${err.location}); create it with: kinesumer create-table --table ${err.table}`;
  }
  if (err instanceof StreamNotFoundError) return `Kinesis stream "${err.stream}" was not found${place('kinesis')}`;
  if (err instanceof KinesumerError) return oneLine(err.message);
  if (err instanceof Error) return oneLine(`${err.name}: ${err.message}`);
  return oneLine(String(err));
}

/** The stack of `err` and of each of its causes, for `--debug`. */
export function debugDetails(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    parts.push(depth === 0 ? stackOf(current) : `caused by: ${stackOf(current)}`);
    current = (current as { cause?: unknown }).cause;
  }
  return redactSecrets(parts.join('\n'));
}

function stackOf(err: unknown): string {
  return err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
}

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/** The first error in the cause chain (and AggregateError members) that matches. */
function findCause(err: unknown, match: (e: ErrorShape) => boolean): ErrorShape | undefined {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length > 0) {
    const e = queue.shift();
    if (typeof e !== 'object' || e === null || seen.has(e)) continue;
    seen.add(e);
    const shape = e as ErrorShape;
    if (match(shape)) return shape;
    queue.push(shape.cause);
    if (Array.isArray(shape.errors)) queue.push(...shape.errors);
  }
  return undefined;
}

function withFlags(message: string): string {
  return message.replace(/Config(?:\.[A-Za-z]+)+/g, (path) => FLAG_OF_PATH[path] ?? path);
}

function oneLine(text: string): string {
  return redactSecrets(text.split('\n').map((l) => l.trim()).filter(Boolean).join(' '));
}
