/**
 * The one error hierarchy of rx-kinesumer. Every error the library reports, on `errors$`, by
 * throwing, or by erroring the record stream, is a {@link KinesumerError} with a stable `code`,
 * a `retriable` flag and the underlying `cause` when there is one. Subclasses add the fields that
 * say where the trouble is (stream, shard, table, item key).
 *
 * Messages never contain credentials or record payloads.
 */

/** Options shared by every error constructor. */
export interface KinesumerErrorOptions {
  /** Overrides the subclass's default `code`. */
  code?: string;
  /** The error that caused this one, usually an AWS SDK error. */
  cause?: unknown;
  /** Whether the same operation may succeed if tried again. Default `false`. */
  retriable?: boolean;
}

/** Base class of every error raised by rx-kinesumer. */
export class KinesumerError extends Error {
  /** A stable, machine-readable code such as `CONFIG_INVALID` or `KINESIS_THROTTLED`. */
  readonly code: string;
  /** Whether retrying the operation may succeed. */
  readonly retriable: boolean;
  override readonly cause?: unknown;

  constructor(code: string, message: string, options: KinesumerErrorOptions = {}) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
    if (options.cause !== undefined) this.cause = options.cause;
  }
}

/** One problem found in a configuration value, by dotted path. */
export interface ConfigProblem {
  /** Dotted path from the root, such as `Config.group.syncInterval`. */
  path: string;
  /** What was wrong and what was expected. */
  message: string;
}

/** The configuration given to `createKinesumer` is invalid; `problems` lists every bad field. */
export class ConfigError extends KinesumerError {
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[]) {
    super(
      'CONFIG_INVALID',
      `Invalid rx-kinesumer config:\n${problems.map((p) => `  - ${p.message}`).join('\n')}`,
    );
    this.problems = problems;
  }
}

/** A state-store operation failed (DynamoDB error, timeout, ...). */
export class StateStoreError extends KinesumerError {
  /** The state-store operation, such as `pingClient` or `updateCheckpoints`. */
  readonly operation: string;
  constructor(operation: string, message: string, options: KinesumerErrorOptions = {}) {
    super('STATE_STORE_FAILED', `State store ${operation} failed: ${message}`, options);
    this.operation = operation;
  }
}

/** The state-store table does not exist (or cannot be seen with these credentials). */
export class TableNotFoundError extends KinesumerError {
  readonly table: string;
  /** Where the table was looked for: region and endpoint, as far as they are known. */
  readonly location: string;
  constructor(table: string, location: string, options: KinesumerErrorOptions = {}) {
    super(
      'TABLE_NOT_FOUND',
      `State-store table "${table}" was not found (${location}). Create it with createStateTable() ` +
        'or the AWS CLI command in the README.',
      options,
    );
    this.table = table;
    this.location = location;
  }
}

/** An item read from the state store does not have the expected shape; it was skipped. */
export class MalformedItemError extends KinesumerError {
  /** The item's key, `pk` and `sk`. */
  readonly key: { pk: string; sk: string };
  constructor(key: { pk: string; sk: string }, details: string) {
    super('STATE_ITEM_MALFORMED', `Malformed state-store item pk="${key.pk}" sk="${key.sk}" skipped: ${details}`);
    this.key = key;
  }
}

/** A Kinesis stream does not exist (or cannot be seen with these credentials). */
export class StreamNotFoundError extends KinesumerError {
  readonly stream: string;
  constructor(stream: string, options: KinesumerErrorOptions = {}) {
    super('STREAM_NOT_FOUND', `Kinesis stream "${stream}" was not found`, { retriable: true, ...options });
    this.stream = stream;
  }
}

/** A Kinesis call failed; `operation` names it and `stream`/`shardId` say where. */
export class KinesisError extends KinesumerError {
  readonly operation: string;
  readonly stream: string;
  readonly shardId: string | undefined;
  constructor(
    operation: string,
    stream: string,
    shardId: string | undefined,
    message: string,
    options: KinesumerErrorOptions = {},
  ) {
    const where = shardId === undefined ? `stream "${stream}"` : `stream "${stream}" shard ${shardId}`;
    super(options.code ?? 'KINESIS_FAILED', `Kinesis ${operation} on ${where} failed: ${message}`, options);
    this.operation = operation;
    this.stream = stream;
    this.shardId = shardId;
  }
}

/** Kinesis refused a call for exceeding a limit; the reader backs off and tries again. */
export class ThrottledError extends KinesisError {
  constructor(operation: string, stream: string, shardId: string | undefined, options: KinesumerErrorOptions = {}) {
    super(operation, stream, shardId, 'throttled by Kinesis, backing off', {
      ...options,
      code: 'KINESIS_THROTTLED',
      retriable: true,
    });
  }
}

/** Assuming the IAM role for Kinesis (`kinesis.roleArn`) failed: denied, unknown role, or STS unreachable. */
export class AssumeRoleError extends KinesumerError {
  readonly roleArn: string;
  constructor(roleArn: string, options: KinesumerErrorOptions = {}) {
    super('ASSUME_ROLE_FAILED', `Could not assume role ${roleArn} for Kinesis: ${describeCause(options.cause)}`, {
      retriable: true,
      ...options,
    });
    this.roleArn = roleArn;
  }
}

/**
 * A KPL aggregated record could not be read (a bad checksum, a broken protobuf). It is delivered
 * as the raw Kinesis record, not dropped; this reports it.
 */
export class CorruptAggregateError extends KinesumerError {
  readonly stream: string;
  readonly shardId: string;
  readonly sequenceNumber: string;
  constructor(stream: string, shardId: string, sequenceNumber: string, options: KinesumerErrorOptions = {}) {
    super(
      'KPL_AGGREGATE_CORRUPT',
      `KPL aggregate ${sequenceNumber} of stream "${stream}" shard ${shardId} is corrupt (${describeCause(options.cause)}); delivered as the raw record`,
      options,
    );
    this.stream = stream;
    this.shardId = shardId;
    this.sequenceNumber = sequenceNumber;
  }
}

/** Committing checkpoints failed; the marks are kept and committed again later. */
export class CheckpointError extends KinesumerError {
  readonly stream: string;
  readonly shardIds: readonly string[];
  constructor(stream: string, shardIds: readonly string[], message: string, options: KinesumerErrorOptions = {}) {
    super('CHECKPOINT_FAILED', `Committing checkpoints of stream "${stream}" (${shardIds.join(', ')}) failed: ${message}`, {
      retriable: true,
      ...options,
    });
    this.stream = stream;
    this.shardIds = shardIds;
  }
}

/**
 * This client no longer holds a shard: a fenced checkpoint write found another owner (or a newer
 * checkpoint). Non-fatal: the shard's reader stops, records still in the pipeline are not
 * checkpointed (the new owner delivers them again), and the client tries to take the shard again
 * if its assignment still says so.
 */
export class ShardLostError extends KinesumerError {
  readonly stream: string;
  readonly shardId: string;
  constructor(stream: string, shardId: string) {
    super('SHARD_LOST', `Shard ${shardId} of stream "${stream}" is held by another client; stopped reading it`);
    this.stream = stream;
    this.shardId = shardId;
  }
}

/**
 * An owned shard is behind the tip (or cannot be read) and delivered nothing for
 * `metrics.stallTimeout`: reported once per stall on `errors$`, with what is known of why (the
 * last failed call's code). Not fatal: the reader goes on trying; `kinesumer status` names the
 * shard and its reason.
 */
export class ShardStalledError extends KinesumerError {
  readonly stream: string;
  readonly shardId: string;
  /** The last `MillisBehindLatest`, when a read ever succeeded. */
  readonly millisBehindLatest: number | undefined;
  /** Time without a delivery, ms. */
  readonly idleMs: number;
  constructor(stream: string, shardId: string, details: { millisBehindLatest: number | undefined; idleMs: number; error: string | undefined }) {
    const behind = details.millisBehindLatest === undefined ? 'never read successfully' : `${details.millisBehindLatest} ms behind the tip at its last read`;
    super(
      'SHARD_STALLED',
      `Shard ${shardId} of stream "${stream}" is stalled: ${behind}, and nothing delivered for ${details.idleMs} ms` +
        (details.error === undefined ? '' : ` (its Kinesis calls fail: ${details.error})`),
      { retriable: true },
    );
    this.stream = stream;
    this.shardId = shardId;
    this.millisBehindLatest = details.millisBehindLatest;
    this.idleMs = details.idleMs;
  }
}

/** Where a record that failed came from: enough to find it again, never its payload. */
export interface RecordOrigin {
  readonly stream: string;
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly subSequenceNumber?: number | undefined;
  readonly partitionKey: string;
}

/**
 * The handler of `processRecords()` or `processBatches()` failed on a record (or a batch, named
 * by its first record), or the record was too old to process (`code` `RECORD_TOO_OLD`). Reported
 * on `errors$` for every failed attempt; `retriable` says whether it will be tried again. Never
 * carries the record's payload.
 */
export class ProcessingError extends KinesumerError {
  readonly stream: string;
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly subSequenceNumber: number | undefined;
  readonly partitionKey: string;
  /** The attempt that failed, from 1; 0 for a record that was not tried (too old). */
  readonly attempt: number;
  /** Records in the failed batch (1 for `processRecords()`). */
  readonly records: number;
  constructor(origin: RecordOrigin, attempt: number, message: string, options: KinesumerErrorOptions & { records?: number } = {}) {
    const records = options.records ?? 1;
    const what = records > 1 ? `a batch of ${records} records from ${origin.sequenceNumber}` : `record ${origin.sequenceNumber}${origin.subSequenceNumber === undefined ? '' : `/${origin.subSequenceNumber}`}`;
    super(
      options.code ?? 'PROCESSING_FAILED',
      `Processing ${what} of stream "${origin.stream}" shard ${origin.shardId} (partition key ${JSON.stringify(origin.partitionKey)}) ` +
        `failed${attempt > 0 ? ` on attempt ${attempt}` : ''}: ${message}`,
      options,
    );
    this.stream = origin.stream;
    this.shardId = origin.shardId;
    this.sequenceNumber = origin.sequenceNumber;
    this.subSequenceNumber = origin.subSequenceNumber;
    this.partitionKey = origin.partitionKey;
    this.attempt = attempt;
    this.records = records;
  }
}

/** The dead-letter sink failed to take a record; it is tried again, and the record is not dropped. */
export class DeadLetterError extends KinesumerError {
  readonly stream: string;
  readonly shardId: string;
  readonly sequenceNumber: string;
  constructor(origin: RecordOrigin, options: KinesumerErrorOptions = {}) {
    super(
      'DEAD_LETTER_FAILED',
      `The dead-letter sink failed for record ${origin.sequenceNumber} of stream "${origin.stream}" shard ${origin.shardId}: ${describeCause(options.cause)}; trying again`,
      { retriable: true, ...options },
    );
    this.stream = origin.stream;
    this.shardId = origin.shardId;
    this.sequenceNumber = origin.sequenceNumber;
  }
}

/** A pipeline placed on `consume()`'s records failed; the member commits what was marked and leaves the group. */
export class PipelineError extends KinesumerError {
  constructor(options: KinesumerErrorOptions = {}) {
    super(
      'PIPELINE_FAILED',
      `The record pipeline failed (${describeCause(options.cause)}): this member committed what was marked and left the group. ` +
        'Resubscribe (for example with retry()) to join again',
      options,
    );
  }
}

/** The consumer was used in a way its state does not allow (closed, consuming twice, foreign record). */
export class UsageError extends KinesumerError {
  constructor(message: string, code = 'USAGE') {
    super(code, message);
  }
}

/** The consumer is closed; `markRecord`, `commit` and `consume` are no longer possible. */
export class ClosedError extends UsageError {
  constructor(operation: string) {
    super(`${operation} called after close()`, 'CLOSED');
  }
}

/**
 * `err` as a {@link KinesumerError}: unchanged when it is one, otherwise what `wrap` makes of its
 * description (credentials redacted) with `err` as the cause. The one place where a foreign
 * error (an SDK exception, a rejected promise's value) becomes one of the library's.
 *
 * ## Example
 * ```ts
 * import { StateStoreError, toKinesumerError } from 'rx-kinesumer';
 * const error = toKinesumerError(err, (message, cause) => new StateStoreError('pingClient', message, { cause, retriable: true }));
 * ```
 *
 * @param err Anything thrown.
 * @param wrap Builds the library's error from the description of `err` and `err` itself.
 */
export function toKinesumerError(err: unknown, wrap: (message: string, cause: unknown) => KinesumerError): KinesumerError {
  return err instanceof KinesumerError ? err : wrap(describeCause(err), err);
}

/** `err` as a retriable {@link StateStoreError} of `operation` (see {@link toKinesumerError}). */
export function asStateStoreError(err: unknown, operation: string): KinesumerError {
  return toKinesumerError(err, (message, cause) => new StateStoreError(operation, message, { cause, retriable: true }));
}

/** `err` as a retriable {@link KinesisError} of `operation` on `stream` (and `shardId`) (see {@link toKinesumerError}). */
export function asKinesisError(err: unknown, operation: string, stream: string, shardId?: string): KinesumerError {
  return toKinesumerError(err, (message, cause) => new KinesisError(operation, stream, shardId, message, { cause, retriable: true }));
}

/** Whether retrying the operation that failed with `err` may succeed. */
export function isRetriable(err: unknown): boolean {
  return err instanceof KinesumerError ? err.retriable : false;
}

/**
 * Removes anything that looks like an AWS credential (access key ids, signatures, session tokens)
 * from a message, so no error or log line ever carries one.
 */
export function redactSecrets(message: string): string {
  return message
    .replace(/\b(?:AKIA|ASIA|AIDA|AROA|ANPA|AGPA|AIPA)[A-Z0-9]{12,}\b/g, '[redacted]')
    .replace(/(Credential=)[^,\s]+/gi, '$1[redacted]')
    .replace(/(Signature=)[0-9a-f]+/gi, '$1[redacted]')
    .replace(/((?:X-Amz-Security-Token|SecurityToken|aws_session_token|aws_secret_access_key)\s*[=:]\s*)\S+/gi, '$1[redacted]');
}

/** A short description of any thrown value for error messages, with credentials redacted. */
export function describeCause(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return redactSecrets(text);
}
