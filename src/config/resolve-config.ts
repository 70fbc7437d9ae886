/**
 * The configuration of `createKinesumer`: its types, its defaults ({@link DEFAULTS}) and
 * {@link resolveConfig}, which decodes it with io-ts. Every problem is collected into one
 * {@link ConfigError} and named by its dotted path from the root codec `Config`
 * (`Config.group.syncInterval`), in the wording of io-ts-reporters and Hardhat.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { isEfoKinesisApi, isKinesisApi, type KinesisApi } from '../kinesis/kinesis-api.js';
import { CONSUMER_NAME, defaultConsumerName } from '../efo/consumer-name.js';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { isLeft } from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { ConfigError, type ConfigProblem } from '../errors.js';
import type { StateStore } from '../state-store/state-store.js';
import { STATE_STORE_METHODS, isStateStore, missingStateStoreMethods } from '../state-store/is-state-store.js';
import type { KinesisOptions } from '../kinesis/kinesis-options.js';
import type { DynamoDBStateStoreOptions } from '../state-store/dynamodb/dynamodb-options.js';

export type { KinesisOptions } from '../kinesis/kinesis-options.js';
export type { DynamoDBStateStoreOptions } from '../state-store/dynamodb/dynamodb-options.js';
import { stderrLogger, type Logger } from '../logger.js';

/** Where a shard without a checkpoint starts. */
export type InitialPosition = 'LATEST' | 'TRIM_HORIZON' | { timestamp: Date };

/** The configuration accepted by `createKinesumer`. Every field is documented with its default. */
export interface KinesumerConfig {
  /** Application (consumer group) name; clients with the same app share shards. Required. */
  app: string;
  /** Default region of Kinesis and DynamoDB; `kinesis.region` and `stateStore.region` win. */
  region?: string;
  /** This client's id, unique in the group. Default: hostname plus a random suffix. */
  clientId?: string;
  /** A Kinesis client, how to build one, or a ready `KinesisApi` seam (tests, custom transports). */
  kinesis: KinesisClient | KinesisOptions | KinesisApi;
  /** A state store, or the DynamoDB table to use. */
  stateStore: StateStore | DynamoDBStateStoreOptions;
  /** Where shards without a checkpoint start. Default `'LATEST'`. */
  initialPosition?: InitialPosition;
  group?: {
    /** Heartbeat, membership and shard-list sync period, ms. Default 5000. */
    syncInterval?: number;
    /** A client not seen for this long is dead, ms. Must exceed `syncInterval`. Default 10000. */
    clientTimeout?: number;
  };
  commit?: {
    /** Commit marks every `interval` ms while consuming. Default `true`. */
    auto?: boolean;
    /** Auto-commit period, ms. Default 5000. */
    interval?: number;
    /** Time allowed for one commit, ms. Default 2000. */
    timeout?: number;
    /**
     * With a state store that carries checkpoints in heartbeats (both built-in ones do), how often
     * the per-shard checkpoint items (kinesumer's layout) are brought up to date, ms. Commits go
     * into the heartbeat in between; items are also written when a shard is released or finished
     * and on close. Default 60000.
     */
    itemInterval?: number;
  };
  polling?: {
    /** Records per GetRecords call, 1..10000. Default 2000 (kinesumer's). */
    scanLimit?: number;
    /**
     * Time allowed for one GetRecords call (the whole answer), ms. Default 2000 (kinesumer's): a
     * dead connection is noticed quickly. A call that timed out is retried asking for half as many
     * records (down to 1/16), so a page too big for the link does not stall the shard.
     */
    scanTimeout?: number;
    /** Wait after an empty or short batch before polling again, ms, at least 200. Default 1000. */
    idleInterval?: number;
    /**
     * Backpressure: records of one shard delivered but not yet marked by `checkpoint()`, at most.
     * The reader fetches only as many as fit and waits while the shard is at the bound. Default 4000.
     */
    maxInFlight?: number;
  };
  retry?: {
    /** First backoff delay, ms. Default 100. */
    initialDelay?: number;
    /** Largest backoff delay, ms. Default 30000. */
    maxDelay?: number;
  };
  /** Scheduler for every timer (heartbeats, intervals, timeouts, backoff). Default `asyncScheduler`. */
  scheduler?: SchedulerLike;
  metrics?: {
    /** Period of `metrics$` snapshots, ms. Default 10000. */
    interval?: number;
  };
  /**
   * Where log lines go: any object with `debug`, `info`, `warn` and `error` (pino's shape,
   * `(fields, message)`). Default: warnings and errors as one line each on stderr, nothing else.
   */
  logger?: Logger;
  /**
   * Enhanced fan-out: read each owned shard with SubscribeToShard (dedicated throughput per
   * consumer) instead of GetRecords polling. `true`, or options. Default `false`.
   */
  efo?: boolean | EfoOptions;
}

/** Enhanced fan-out options (`efo`). */
export interface EfoOptions {
  /**
   * The stream consumer to register on every consumed stream (1 to 128 of a-z, A-Z, 0-9, `_`,
   * `.`, `-`). Default: `app`, with `-<region>` appended when a region is configured (kinesumer's
   * name, so both libraries register the same consumer).
   */
  consumerName?: string;
  /**
   * Deregister the consumers when the group's last client leaves. Default `false`: registering
   * again takes seconds to tens of seconds before reading can start, a consumer still being
   * deleted blocks registering its name again, and a group that stops briefly (a deploy, a
   * restart) would pay that every time. A registered consumer costs money per shard-hour, so
   * deregister consumers of retired apps yourself, or set this for short-lived groups.
   */
  deregisterOnClose?: boolean;
}

/** The decoded configuration, with every default filled in. */
export interface ResolvedConfig {
  app: string;
  clientId: string;
  kinesis: KinesisClient | KinesisOptions | KinesisApi;
  stateStore: StateStore | DynamoDBStateStoreOptions;
  initialPosition: InitialPosition;
  group: { syncInterval: number; clientTimeout: number };
  commit: { auto: boolean; interval: number; timeout: number; itemInterval: number };
  polling: { scanLimit: number; scanTimeout: number; idleInterval: number; maxInFlight: number };
  retry: { initialDelay: number; maxDelay: number };
  scheduler: SchedulerLike;
  metrics: { interval: number };
  logger: Logger;
  /** `false`, or enhanced fan-out with `consumerName` as given (the default is found at consume). */
  efo: false | { consumerName: string | undefined; deregisterOnClose: boolean };
}


/**
 * The documented defaults, in milliseconds where the field is a duration. `resolveConfig` fills
 * them in; the README and other modules refer to them instead of repeating the numbers.
 */
export const DEFAULTS = {
  initialPosition: 'LATEST',
  group: { syncInterval: 5000, clientTimeout: 10000 },
  commit: { auto: true, interval: 5000, timeout: 2000, itemInterval: 60000 },
  polling: { scanLimit: 2000, scanTimeout: 2000, idleInterval: 1000, maxInFlight: 4000 },
  retry: { initialDelay: 100, maxDelay: 30000 },
  metrics: { interval: 10000 },
  efo: false,
} as const satisfies Omit<ResolvedConfig, 'app' | 'clientId' | 'kinesis' | 'stateStore' | 'scheduler' | 'logger'>;

/** The bounds `resolveConfig` enforces, for messages and documentation. */
export const LIMITS = {
  /** Longest `app` name; it is part of DynamoDB keys such as `client#<app>`. */
  appLength: 100,
  /** Largest `polling.scanLimit`, the GetRecords maximum. */
  scanLimit: 10000,
  /** Smallest `polling.idleInterval`, ms: Kinesis allows 5 GetRecords calls per second per shard. */
  idleInterval: 200,
} as const;

// ---------------------------------------------------------------------------------------------
// Reporting: dotted paths and friendly messages, built where the failure is found.

const isRecord = (u: unknown): u is Record<string, unknown> => t.UnknownRecord.is(u);

/**
 * `Config.group.syncInterval` from an io-ts context. The first entry is the root codec; numeric
 * keys are the member indexes `t.intersection` and `t.union` add (the config has no arrays), so
 * they are left out.
 */
function pathOf(c: t.Context): string {
  return c
    .map((entry, i) => (i === 0 ? entry.type.name : entry.key))
    .filter((key, i) => i === 0 || !/^\d+$/.test(key))
    .join('.');
}

/** Values under `credentials` are secrets: messages describe them by type only. */
const isSecret = (c: t.Context): boolean => c.some((entry) => entry.key === 'credentials');

/** What kind of value `u` is, without showing it. */
function kindOf(u: unknown): string {
  if (u === null) return 'null';
  if (u === undefined) return 'undefined';
  if (Array.isArray(u)) return 'an array';
  if (u instanceof Date) return 'a Date';
  if (typeof u === 'object') {
    const ctor = (Object.getPrototypeOf(u) as { constructor?: { name?: string } } | null)?.constructor?.name;
    return ctor && ctor !== 'Object' ? `an instance of ${ctor}` : 'an object';
  }
  return /^[aeiou]/.test(typeof u) ? `an ${typeof u}` : `a ${typeof u}`;
}

/**
 * `u` as a message shows it: primitives by value, objects by kind only (an object may hold
 * credentials), and anything under `credentials` by type only.
 */
function show(u: unknown, c: t.Context): string {
  if (isSecret(c)) return u === undefined || u === null ? String(u) : `${kindOf(u)} (hidden)`;
  if (typeof u === 'string') return JSON.stringify(u.length > 60 ? `${u.slice(0, 57)}...` : u);
  if (typeof u === 'number' || typeof u === 'boolean' || typeof u === 'bigint' || u === undefined) return String(u);
  if (u instanceof Date) return Number.isNaN(u.getTime()) ? 'Invalid Date' : u.toISOString();
  return kindOf(u);
}

/** The value has the wrong type: `Expecting string at Config.app but instead got: undefined`. */
const expecting = (expected: string, u: unknown, c: t.Context): string =>
  `Expecting ${expected} at ${pathOf(c)} but instead got: ${show(u, c)}`;

/** The value has the right type but breaks a rule: `Invalid value 0 for Config.x - Expected ...`. */
const invalid = (u: unknown, c: t.Context, expected: string): string =>
  `Invalid value ${show(u, c)} for ${pathOf(c)} - Expected ${expected}`;

/** Turns io-ts errors into problems; errors without a message get the io-ts-reporters wording. */
function toProblems(errors: t.Errors): ConfigProblem[] {
  const seen = new Set<string>();
  const problems: ConfigProblem[] = [];
  for (const error of errors) {
    const last = error.context[error.context.length - 1];
    const message = error.message ?? expecting(last?.type.name ?? 'a valid value', error.value, error.context);
    if (seen.has(message)) continue;
    seen.add(message);
    problems.push({ path: pathOf(error.context), message });
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Combinators

/**
 * `codec` with friendly messages: a value of the wrong type (not `base`) is reported as
 * `Expecting <base> at ...`, one of the right type that breaks the refinement as
 * `Invalid value ... - Expected <expected>`.
 */
function friendly<A>(codec: t.Type<A, unknown, unknown>, base: t.Mixed, expected: string): t.Type<A, unknown, unknown> {
  return new t.Type<A, unknown, unknown>(
    codec.name,
    codec.is,
    (u, c) => {
      const result = codec.validate(u, c);
      if (!isLeft(result)) return result;
      return t.failure(u, c, base.is(u) ? invalid(u, c, expected) : expecting(base.name, u, c));
    },
    codec.encode,
  );
}

/** Levenshtein distance, for "did you mean" on unknown keys. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(next[j - 1]! + 1, row[j]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length]!;
}

/**
 * An options object: `required` and `optional` properties (`t.intersection([t.type, t.partial])`)
 * and nothing else. Unknown keys are reported, so that a typo such as `gruop` is not silently
 * ignored along with the settings under it. Values of unknown keys are never shown.
 */
function closed<R extends t.Props, O extends t.Props>(name: string, required: R, optional: O) {
  const shape = t.intersection([t.type(required), t.partial(optional)], name);
  type A = t.TypeOf<typeof shape>;
  const known = [...Object.keys(required), ...Object.keys(optional)];
  return new t.Type<A, unknown, unknown>(
    name,
    (u): u is A => shape.is(u) && Object.keys(u).every((key) => known.includes(key)),
    (u, c) => {
      if (!isRecord(u)) return t.failure(u, c, expecting('object', u, c));
      const errors: t.Errors = [];
      for (const key of Object.keys(u)) {
        if (known.includes(key)) continue;
        const at = t.appendContext(c, key, t.never, u[key]);
        const near = known.find((k) => k.toLowerCase() === key.toLowerCase() || distance(k, key) <= 2);
        const hint = near === undefined ? '' : ` - did you mean ${pathOf(c)}.${near}?`;
        errors.push({
          value: u[key],
          context: at,
          message: `Unknown key ${pathOf(at)}${hint} (accepted keys: ${known.join(', ')})`,
        });
      }
      const result = shape.validate(u, c);
      if (isLeft(result)) return t.failures([...errors, ...result.left]);
      return errors.length > 0 ? t.failures(errors) : result;
    },
    t.identity,
  );
}

/** `codec` followed by a rule across its decoded fields (checked only once the fields are valid). */
function withRule<A>(codec: t.Type<A, unknown, unknown>, rule: (a: A, c: t.Context) => t.Errors): t.Type<A, unknown, unknown> {
  return new t.Type<A, unknown, unknown>(
    codec.name,
    (u): u is A => codec.is(u) && rule(u, []).length === 0,
    (u, c) => {
      const result = codec.validate(u, c);
      if (isLeft(result)) return result;
      const errors = rule(result.right, c);
      return errors.length > 0 ? t.failures(errors) : result;
    },
    codec.encode,
  );
}

/** A codec that accepts instances of `ctor` as they are. */
function instanceOf<C>(ctor: abstract new (...args: any[]) => C, pkg: string): t.Type<C, C, unknown> {
  return new t.Type<C, C, unknown>(
    ctor.name,
    (u): u is C => u instanceof ctor,
    (u, c) => (u instanceof ctor ? t.success(u) : t.failure(u, c, expecting(`${ctor.name} (from ${pkg})`, u, c) + sdkHint(u, ctor.name, pkg))),
    t.identity,
  );
}

/** A client of the expected class name that fails `instanceof` comes from a second copy of the SDK. */
const sdkHint = (u: unknown, className: string, pkg: string): string =>
  kindOf(u) === `an instance of ${className}`
    ? ` - it is not the ${className} of this package's ${pkg}: is ${pkg} installed twice?`
    : '';

// ---------------------------------------------------------------------------------------------
// Field codecs

interface PositiveMsBrand {
  readonly PositiveMs: unique symbol;
}
/** A duration in milliseconds: a positive integer. */
const PositiveMs = friendly(
  t.brand(t.Int, (n): n is t.Branded<t.Int, PositiveMsBrand> => n > 0, 'PositiveMs'),
  t.number,
  'a positive integer (milliseconds)',
);

interface ScanLimitBrand {
  readonly ScanLimit: unique symbol;
}
const ScanLimit = friendly(
  t.brand(t.Int, (n): n is t.Branded<t.Int, ScanLimitBrand> => n >= 1 && n <= LIMITS.scanLimit, 'ScanLimit'),
  t.number,
  `an integer from 1 to ${LIMITS.scanLimit} (records per GetRecords call)`,
);

interface IdleIntervalBrand {
  readonly IdleInterval: unique symbol;
}
const IdleInterval = friendly(
  t.brand(t.Int, (n): n is t.Branded<t.Int, IdleIntervalBrand> => n >= LIMITS.idleInterval, 'IdleInterval'),
  t.number,
  `an integer of at least ${LIMITS.idleInterval} (milliseconds; Kinesis allows 5 GetRecords calls per second per shard)`,
);

interface AppNameBrand {
  readonly AppName: unique symbol;
}
const AppName = friendly(
  t.brand(
    t.string,
    (s): s is t.Branded<string, AppNameBrand> => s.length > 0 && s.length <= LIMITS.appLength && !s.includes('#'),
    'AppName',
  ),
  t.string,
  `a non-empty string of at most ${LIMITS.appLength} characters without '#' (it is part of DynamoDB keys such as client#<app>)`,
);

interface ClientIdBrand {
  readonly ClientId: unique symbol;
}
const ClientId = friendly(
  t.brand(t.string, (s): s is t.Branded<string, ClientIdBrand> => s.length > 0 && !s.includes('#'), 'ClientId'),
  t.string,
  "a non-empty string without '#' (it is part of DynamoDB keys)",
);

interface NonEmptyStringBrand {
  readonly NonEmptyString: unique symbol;
}
const Region = friendly(
  t.brand(t.string, (s): s is t.Branded<string, NonEmptyStringBrand> => s.length > 0, 'NonEmptyString'),
  t.string,
  'a non-empty AWS region such as "us-east-1"',
);

interface HttpUrlBrand {
  readonly HttpUrl: unique symbol;
}
function isHttpUrl(s: string): boolean {
  try {
    const { protocol } = new URL(s);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}
const Endpoint = friendly(
  t.brand(t.string, (s): s is t.Branded<string, HttpUrlBrand> => isHttpUrl(s), 'HttpUrl'),
  t.string,
  'an http:// or https:// URL such as "http://localhost:4567"',
);

interface RoleArnBrand {
  readonly RoleArn: unique symbol;
}
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/.+/;
const RoleArn = friendly(
  t.brand(t.string, (s): s is t.Branded<string, RoleArnBrand> => ROLE_ARN.test(s), 'RoleArn'),
  t.string,
  'an IAM role ARN such as "arn:aws:iam::123456789012:role/reader"',
);

interface ExternalIdBrand {
  readonly ExternalId: unique symbol;
}
const ExternalId = friendly(
  t.brand(t.string, (s): s is t.Branded<string, ExternalIdBrand> => /^[\w+=,.@:/-]{2,1224}$/.test(s), 'ExternalId'),
  t.string,
  'an STS external id: 2 to 1224 characters from letters, digits and +=,.@:/-',
);

interface SessionNameBrand {
  readonly SessionName: unique symbol;
}
const SessionName = friendly(
  t.brand(t.string, (s): s is t.Branded<string, SessionNameBrand> => /^[\w+=,.@-]{2,64}$/.test(s), 'SessionName'),
  t.string,
  'an STS role session name: 2 to 64 characters from letters, digits and +=,.@-',
);

interface TableNameBrand {
  readonly TableName: unique symbol;
}
const TableName = friendly(
  t.brand(t.string, (s): s is t.Branded<string, TableNameBrand> => /^[a-zA-Z0-9_.-]{3,255}$/.test(s), 'TableName'),
  t.string,
  "a DynamoDB table name: 3 to 255 characters from a-z, A-Z, 0-9, '_', '-' and '.'",
);

/**
 * Static credentials or a provider function. Extra keys (`sessionToken`, `expiration`, ...) are
 * allowed; values are never shown, only their types.
 */
const Credentials = new t.Type<AwsCredentialIdentity | AwsCredentialIdentityProvider, unknown, unknown>(
  'AwsCredentialIdentity | AwsCredentialIdentityProvider',
  (u): u is AwsCredentialIdentity | AwsCredentialIdentityProvider =>
    typeof u === 'function' ||
    (isRecord(u) && typeof u['accessKeyId'] === 'string' && typeof u['secretAccessKey'] === 'string'),
  (u, c) => {
    if (typeof u === 'function') return t.success(u as AwsCredentialIdentityProvider);
    if (!isRecord(u)) {
      return t.failure(u, c, expecting('{ accessKeyId: string, secretAccessKey: string } or a credential provider function', u, c));
    }
    const errors: t.Errors = [];
    for (const key of ['accessKeyId', 'secretAccessKey', 'sessionToken'] as const) {
      const value = u[key];
      if (typeof value === 'string' || (key === 'sessionToken' && value === undefined)) continue;
      const at = t.appendContext(c, key, t.string, value);
      errors.push({ value, context: at, message: expecting('string', value, at) });
    }
    return errors.length > 0 ? t.failures(errors) : t.success(u as unknown as AwsCredentialIdentity);
  },
  t.identity,
);

const KinesisOptionsCodec = closed(
  'KinesisOptions',
  {},
  {
    region: Region,
    endpoint: Endpoint,
    credentials: Credentials,
    roleArn: RoleArn,
    externalId: ExternalId,
    sessionName: SessionName,
    http1: t.boolean,
  },
);

/** A `KinesisClient` as it is, or the options to build one. */
const KinesisCodec = new t.Type<KinesisClient | KinesisOptions | KinesisApi, unknown, unknown>(
  'KinesisClient | KinesisOptions',
  (u): u is KinesisClient | KinesisOptions | KinesisApi => u instanceof KinesisClient || isKinesisApi(u) || KinesisOptionsCodec.is(u),
  (u, c) => {
    if (u instanceof KinesisClient || isKinesisApi(u)) return t.success(u);
    if (isRecord(u) && typeof u['send'] !== 'function') return KinesisOptionsCodec.validate(u, c);
    return t.failure(u, c, expecting('KinesisClient | KinesisOptions', u, c) + sdkHint(u, 'KinesisClient', '@aws-sdk/client-kinesis'));
  },
  t.identity,
);

const DynamoDBStateStoreOptionsCodec = closed(
  'DynamoDBStateStoreOptions',
  { table: TableName },
  {
    client: instanceOf(DynamoDBClient, '@aws-sdk/client-dynamodb'),
    region: Region,
    endpoint: Endpoint,
    credentials: Credentials,
  },
);

/**
 * A `StateStore` implementation as it is (an object with any of the store's methods is taken for
 * one, and must have them all), or the DynamoDB table to use.
 */
const StateStoreCodec = new t.Type<StateStore | DynamoDBStateStoreOptions, unknown, unknown>(
  'StateStore | DynamoDBStateStoreOptions',
  (u): u is StateStore | DynamoDBStateStoreOptions => isStateStore(u) || DynamoDBStateStoreOptionsCodec.is(u),
  (u, c) => {
    if (typeof u !== 'object' || u === null || Array.isArray(u)) {
      return t.failure(u, c, expecting('StateStore | DynamoDBStateStoreOptions', u, c));
    }
    const store = u as Record<string, unknown>;
    const missing = missingStateStoreMethods(u);
    if (missing.length === STATE_STORE_METHODS.length) return DynamoDBStateStoreOptionsCodec.validate(u, c);
    if (missing.length === 0) return t.success(u as StateStore);
    return t.failures(
      missing.map((m) => {
        const at = t.appendContext(c, m, t.Function, store[m]);
        return { value: store[m], context: at, message: expecting(`function (StateStore.${m})`, store[m], at) };
      }),
    );
  },
  t.identity,
);

const ValidDate = new t.Type<Date, Date, unknown>(
  'Date',
  (u): u is Date => u instanceof Date && !Number.isNaN(u.getTime()),
  (u, c) => {
    if (!(u instanceof Date)) return t.failure(u, c, expecting('Date', u, c));
    return Number.isNaN(u.getTime()) ? t.failure(u, c, invalid(u, c, 'a valid Date')) : t.success(u);
  },
  t.identity,
);

const TimestampPosition = closed('TimestampPosition', { timestamp: ValidDate }, {});

const POSITIONS = "'LATEST' | 'TRIM_HORIZON' | { timestamp: Date }";

/** `'LATEST'`, `'TRIM_HORIZON'` (exactly so) or `{ timestamp: Date }`. */
const InitialPositionCodec = new t.Type<InitialPosition, unknown, unknown>(
  POSITIONS,
  (u): u is InitialPosition => u === 'LATEST' || u === 'TRIM_HORIZON' || TimestampPosition.is(u),
  (u, c) => {
    if (u === 'LATEST' || u === 'TRIM_HORIZON') return t.success(u);
    if (typeof u === 'string') {
      const upper = u.toUpperCase();
      const hint = upper === 'LATEST' || upper === 'TRIM_HORIZON' ? ` (case-sensitive: did you mean '${upper}'?)` : '';
      return t.failure(u, c, invalid(u, c, `one of 'LATEST', 'TRIM_HORIZON' or { timestamp: Date }${hint}`));
    }
    if (isRecord(u) && !(u instanceof Date)) return TimestampPosition.validate(u, c);
    return t.failure(u, c, expecting(POSITIONS, u, c));
  },
  t.identity,
);

const isScheduler = (u: unknown): u is SchedulerLike =>
  (typeof u === 'object' || typeof u === 'function') &&
  u !== null &&
  typeof (u as Record<string, unknown>)['now'] === 'function' &&
  typeof (u as Record<string, unknown>)['schedule'] === 'function';

const isLogger = (u: unknown): u is Logger =>
  isRecord(u) && (['debug', 'info', 'warn', 'error'] as const).every((m) => typeof u[m] === 'function');
const LoggerCodec = new t.Type<Logger, unknown, unknown>(
  'Logger',
  isLogger,
  (u, c) => (isLogger(u) ? t.success(u) : t.failure(u, c, expecting('a logger (an object with debug, info, warn and error functions)', u, c))),
  t.identity,
);

const Scheduler = new t.Type<SchedulerLike, unknown, unknown>(
  'SchedulerLike',
  isScheduler,
  (u, c) => (isScheduler(u) ? t.success(u) : t.failure(u, c, expecting('SchedulerLike (an object with now() and schedule())', u, c))),
  t.identity,
);

/** `value` for a message, marked when it is the default (the user did not set it). */
const valueOf = (value: number, given: unknown, mark: (v: number) => string): string =>
  given === undefined ? mark(value) : `${value}`;
const standalone = (v: number): string => `${v} (the default)`;
const parenthesized = (v: number): string => `${v}, the default`;

const Group = withRule(
  closed('group', {}, { syncInterval: PositiveMs, clientTimeout: PositiveMs }),
  (group, c) => {
    const sync = group.syncInterval ?? DEFAULTS.group.syncInterval;
    const timeout = group.clientTimeout ?? DEFAULTS.group.clientTimeout;
    if (timeout > sync) return [];
    const at = t.appendContext(c, 'clientTimeout', PositiveMs, group.clientTimeout);
    return [
      {
        value: timeout,
        context: at,
        message:
          `Invalid value ${valueOf(timeout, group.clientTimeout, standalone)} for ${pathOf(at)} - Expected more than ` +
          `${pathOf(c)}.syncInterval (${valueOf(sync, group.syncInterval, parenthesized)}); at least 2x syncInterval ` +
          `(${2 * sync}) is recommended, so that one late heartbeat does not make a client look dead`,
      },
    ];
  },
);

const Commit = closed('commit', {}, { auto: t.boolean, interval: PositiveMs, timeout: PositiveMs, itemInterval: PositiveMs });

interface RecordCountBrand {
  readonly RecordCount: unique symbol;
}
const MaxInFlight = friendly(
  t.brand(t.Int, (n): n is t.Branded<t.Int, RecordCountBrand> => n > 0, 'RecordCount'),
  t.number,
  'a positive integer (records)',
);

const Polling = closed(
  'polling',
  {},
  { scanLimit: ScanLimit, scanTimeout: PositiveMs, idleInterval: IdleInterval, maxInFlight: MaxInFlight },
);

const Retry = withRule(closed('retry', {}, { initialDelay: PositiveMs, maxDelay: PositiveMs }), (retry, c) => {
  const initial = retry.initialDelay ?? DEFAULTS.retry.initialDelay;
  const max = retry.maxDelay ?? DEFAULTS.retry.maxDelay;
  if (max >= initial) return [];
  const at = t.appendContext(c, 'maxDelay', PositiveMs, retry.maxDelay);
  return [
    {
      value: max,
      context: at,
      message:
        `Invalid value ${valueOf(max, retry.maxDelay, standalone)} for ${pathOf(at)} - Expected at least ` +
        `${pathOf(c)}.initialDelay (${valueOf(initial, retry.initialDelay, parenthesized)})`,
    },
  ];
});

interface ConsumerNameBrand {
  readonly ConsumerName: unique symbol;
}
const ConsumerName = friendly(
  t.brand(t.string, (s): s is t.Branded<string, ConsumerNameBrand> => CONSUMER_NAME.test(s), 'ConsumerName'),
  t.string,
  "a Kinesis consumer name: 1 to 128 characters from a-z, A-Z, 0-9, '_', '.' and '-'",
);

/** Defaults of the `efo` options. */
export const EFO_DEFAULTS = { deregisterOnClose: false } as const;

const EfoOptionsCodec = closed('EfoOptions', {}, { consumerName: ConsumerName, deregisterOnClose: t.boolean });

const EFO = 'boolean | { consumerName?: string, deregisterOnClose?: boolean }';

/** `true`, `false` or the enhanced fan-out options. */
const Efo = new t.Type<boolean | EfoOptions, unknown, unknown>(
  EFO,
  (u): u is boolean | EfoOptions => typeof u === 'boolean' || EfoOptionsCodec.is(u),
  (u, c) => {
    if (typeof u === 'boolean') return t.success(u);
    if (isRecord(u)) return EfoOptionsCodec.validate(u, c);
    return t.failure(u, c, expecting(EFO, u, c));
  },
  t.identity,
);

/**
 * Rules of `efo` across fields, checked once every field is valid: the Kinesis seam must have the
 * enhanced fan-out calls, and without `efo.consumerName` the default name must be one Kinesis takes.
 */
function efoProblems(config: { app: string; kinesis: unknown; efo?: boolean | EfoOptions }): ConfigProblem[] {
  const efo = config.efo;
  if (efo === undefined || efo === false) return [];
  const problems: ConfigProblem[] = [];
  if (isKinesisApi(config.kinesis) && !isEfoKinesisApi(config.kinesis)) {
    problems.push({
      path: 'Config.kinesis',
      message:
        'Invalid value a KinesisApi for Config.kinesis - Expected a seam with the enhanced fan-out calls ' +
        '(EfoKinesisApi: describeStreamSummary, registerStreamConsumer, describeStreamConsumer, ' +
        'deregisterStreamConsumer, subscribeToShard) when Config.efo is on',
    });
  }
  if (efo === true || efo.consumerName === undefined) {
    const region = isRecord(config.kinesis) && typeof config.kinesis['region'] === 'string' ? config.kinesis['region'] : undefined;
    const name = defaultConsumerName(config.app, region);
    if (!CONSUMER_NAME.test(name)) {
      problems.push({
        path: 'Config.efo.consumerName',
        message:
          `Missing Config.efo.consumerName - the default consumer name ${JSON.stringify(name)} (Config.app` +
          `${region === undefined ? '' : ', with -<region> appended'}) is not one Kinesis accepts ` +
          "(1 to 128 characters from a-z, A-Z, 0-9, '_', '.' and '-'); set efo.consumerName",
      });
    }
  }
  return problems;
}

function resolveEfo(efo: boolean | EfoOptions | undefined): ResolvedConfig['efo'] {
  if (efo === undefined || efo === false) return false;
  if (efo === true) return { consumerName: undefined, deregisterOnClose: EFO_DEFAULTS.deregisterOnClose };
  return { consumerName: efo.consumerName, deregisterOnClose: efo.deregisterOnClose ?? EFO_DEFAULTS.deregisterOnClose };
}

/** The root codec; its name starts every problem path. */
const Config = closed(
  'Config',
  { app: AppName, kinesis: KinesisCodec, stateStore: StateStoreCodec },
  {
    clientId: ClientId,
    region: Region,
    initialPosition: InitialPositionCodec,
    group: Group,
    commit: Commit,
    polling: Polling,
    retry: Retry,
    scheduler: Scheduler,
    metrics: closed('metrics', {}, { interval: PositiveMs }),
    logger: LoggerCodec,
    efo: Efo,
  },
);

/** `<hostname>-<8 random hex digits>`, unique enough for clients started on the same host. */
function defaultClientId(): string {
  return `${hostname()}-${randomBytes(4).toString('hex')}`;
}

/**
 * Decodes and validates `input` synchronously, filling in defaults ({@link DEFAULTS}). Throws one
 * `ConfigError` that lists every bad field by dotted path (`Config.group.syncInterval`) and what
 * was expected; unknown keys are problems too. Credential values never appear in messages.
 *
 * ## Example
 * ```ts
 * import { resolveConfig } from './resolve-config.js';
 *
 * const config = resolveConfig({
 *   app: 'billing',
 *   kinesis: { region: 'eu-west-1' },
 *   stateStore: { table: 'kinesumer-state-store' },
 *   group: { syncInterval: 2000, clientTimeout: 6000 },
 * });
 * config.polling.scanLimit; // 2000
 * ```
 *
 * @param input The configuration as given by the user, not trusted to match {@link KinesumerConfig}.
 * @returns The configuration with every default filled in. Clients, state stores and the scheduler
 *   are the very objects given; option objects are copies.
 * @throws {ConfigError} When anything is wrong; `problems` has one entry per bad field.
 */
export function resolveConfig(input: unknown): ResolvedConfig {
  const result = Config.decode(input);
  if (isLeft(result)) throw new ConfigError(toProblems(result.left));
  const config = result.right;
  const efo = efoProblems(config);
  if (efo.length > 0) throw new ConfigError(efo);
  const position = config.initialPosition ?? DEFAULTS.initialPosition;
  return {
    app: config.app,
    clientId: config.clientId ?? defaultClientId(),
    kinesis:
      config.kinesis instanceof KinesisClient || isKinesisApi(config.kinesis)
        ? config.kinesis
        : withRegion(config.kinesis, config.region),
    stateStore: isStateStore(config.stateStore) ? config.stateStore : withRegion({ ...config.stateStore }, config.region),
    initialPosition: typeof position === 'string' ? position : { timestamp: position.timestamp },
    group: { ...DEFAULTS.group, ...definedOnly(config.group) },
    commit: { ...DEFAULTS.commit, ...definedOnly(config.commit) },
    polling: { ...DEFAULTS.polling, ...definedOnly(config.polling) },
    retry: { ...DEFAULTS.retry, ...definedOnly(config.retry) },
    scheduler: config.scheduler ?? asyncScheduler,
    metrics: { ...DEFAULTS.metrics, ...definedOnly(config.metrics) },
    logger: config.logger ?? stderrLogger,
    efo: resolveEfo(config.efo),
  };
}

/** `options` with `region` filled in from the top-level default when it has none. */
function withRegion<T extends { region?: string | undefined }>(options: T, region: string | undefined): T {
  return options.region === undefined && region !== undefined ? { ...options, region } : { ...options };
}

/** The properties of `o` that are set: `{ syncInterval: undefined }` must not override a default. */
function definedOnly<T extends object>(o: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}
