/**
 * Codecs of single configuration values: branded durations, counts and names, AWS strings
 * (region, endpoint, role ARN, table name), credentials, the initial position, the scheduler and
 * the logger. Each reports its own friendly message. The brand interfaces are exported only so
 * that declaration files can name the codecs' types.
 */
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import * as t from 'io-ts';
import type { SchedulerLike } from 'rxjs';
import { CONSUMER_NAME } from '../efo/consumer-name.js';
import type { Logger } from '../logger.js';
import { closed, friendly, isRecord } from './combinators.js';
import { LIMITS } from './defaults.js';
import type { InitialPosition } from './kinesumer-config.js';
import { expecting, invalid } from './reporter.js';

/** A positive integer of `unit`, branded `name`: durations and record counts alike. */
function positiveInteger<N extends string, B extends { readonly [K in N]: symbol }>(name: N, unit: string) {
  return friendly(
    t.brand(t.Int, (n): n is t.Branded<t.Int, B> => n > 0, name),
    t.number,
    `a positive integer (${unit})`,
  );
}

export interface PositiveMsBrand {
  readonly PositiveMs: unique symbol;
}
/** A duration in milliseconds: a positive integer. */
export const PositiveMs = positiveInteger<'PositiveMs', PositiveMsBrand>('PositiveMs', 'milliseconds');

export interface RecordCountBrand {
  readonly RecordCount: unique symbol;
}
/** A bound on records in flight: a positive integer. */
export const MaxInFlight = positiveInteger<'RecordCount', RecordCountBrand>('RecordCount', 'records');

export interface ScanLimitBrand {
  readonly ScanLimit: unique symbol;
}
/** Records per GetRecords call: an integer from 1 to the GetRecords maximum. */
export const ScanLimit = friendly(
  t.brand(t.Int, (n): n is t.Branded<t.Int, ScanLimitBrand> => n >= 1 && n <= LIMITS.scanLimit, 'ScanLimit'),
  t.number,
  `an integer from 1 to ${LIMITS.scanLimit} (records per GetRecords call)`,
);

export interface IdleIntervalBrand {
  readonly IdleInterval: unique symbol;
}
/** The wait after an empty or short batch, ms: at least {@link LIMITS.idleInterval}. */
export const IdleInterval = friendly(
  t.brand(t.Int, (n): n is t.Branded<t.Int, IdleIntervalBrand> => n >= LIMITS.idleInterval, 'IdleInterval'),
  t.number,
  `an integer of at least ${LIMITS.idleInterval} (milliseconds; Kinesis allows 5 GetRecords calls per second per shard)`,
);

export interface AppNameBrand {
  readonly AppName: unique symbol;
}
/** The app (group) name: part of DynamoDB keys, so bounded in length and without `#`. */
export const AppName = friendly(
  t.brand(
    t.string,
    (s): s is t.Branded<string, AppNameBrand> => s.length > 0 && s.length <= LIMITS.appLength && !s.includes('#'),
    'AppName',
  ),
  t.string,
  `a non-empty string of at most ${LIMITS.appLength} characters without '#' (it is part of DynamoDB keys such as client#<app>)`,
);

export interface ClientIdBrand {
  readonly ClientId: unique symbol;
}
/** A client id: part of DynamoDB keys, so non-empty and without `#`. */
export const ClientId = friendly(
  t.brand(t.string, (s): s is t.Branded<string, ClientIdBrand> => s.length > 0 && !s.includes('#'), 'ClientId'),
  t.string,
  "a non-empty string without '#' (it is part of DynamoDB keys)",
);

export interface NonEmptyStringBrand {
  readonly NonEmptyString: unique symbol;
}
/** An AWS region: any non-empty string (the SDK knows the list). */
export const Region = friendly(
  t.brand(t.string, (s): s is t.Branded<string, NonEmptyStringBrand> => s.length > 0, 'NonEmptyString'),
  t.string,
  'a non-empty AWS region such as "us-east-1"',
);

export interface HttpUrlBrand {
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
/** An endpoint URL (emulators): http or https. */
export const Endpoint = friendly(
  t.brand(t.string, (s): s is t.Branded<string, HttpUrlBrand> => isHttpUrl(s), 'HttpUrl'),
  t.string,
  'an http:// or https:// URL such as "http://localhost:4567"',
);

export interface RoleArnBrand {
  readonly RoleArn: unique symbol;
}
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/.+/;
/** The IAM role to assume for Kinesis: an IAM role ARN. */
export const RoleArn = friendly(
  t.brand(t.string, (s): s is t.Branded<string, RoleArnBrand> => ROLE_ARN.test(s), 'RoleArn'),
  t.string,
  'an IAM role ARN such as "arn:aws:iam::123456789012:role/reader"',
);

export interface ExternalIdBrand {
  readonly ExternalId: unique symbol;
}
/** An STS external id, as AssumeRole accepts it. */
export const ExternalId = friendly(
  t.brand(t.string, (s): s is t.Branded<string, ExternalIdBrand> => /^[\w+=,.@:/-]{2,1224}$/.test(s), 'ExternalId'),
  t.string,
  'an STS external id: 2 to 1224 characters from letters, digits and +=,.@:/-',
);

export interface SessionNameBrand {
  readonly SessionName: unique symbol;
}
/** An STS role session name, as AssumeRole accepts it. */
export const SessionName = friendly(
  t.brand(t.string, (s): s is t.Branded<string, SessionNameBrand> => /^[\w+=,.@-]{2,64}$/.test(s), 'SessionName'),
  t.string,
  'an STS role session name: 2 to 64 characters from letters, digits and +=,.@-',
);

export interface TableNameBrand {
  readonly TableName: unique symbol;
}
/** A DynamoDB table name, as DynamoDB accepts it. */
export const TableName = friendly(
  t.brand(t.string, (s): s is t.Branded<string, TableNameBrand> => /^[a-zA-Z0-9_.-]{3,255}$/.test(s), 'TableName'),
  t.string,
  "a DynamoDB table name: 3 to 255 characters from a-z, A-Z, 0-9, '_', '-' and '.'",
);

/**
 * Static credentials or a provider function. Extra keys (`sessionToken`, `expiration`, ...) are
 * allowed; values are never shown, only their types.
 */
export const Credentials = new t.Type<AwsCredentialIdentity | AwsCredentialIdentityProvider, unknown, unknown>(
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

export interface ConsumerNameBrand {
  readonly ConsumerName: unique symbol;
}
/** An enhanced fan-out consumer name, as Kinesis accepts it. */
export const ConsumerName = friendly(
  t.brand(t.string, (s): s is t.Branded<string, ConsumerNameBrand> => CONSUMER_NAME.test(s), 'ConsumerName'),
  t.string,
  "a Kinesis consumer name: 1 to 128 characters from a-z, A-Z, 0-9, '_', '.' and '-'",
);

/** A `Date` that is not `Invalid Date`. */
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
export const InitialPositionCodec = new t.Type<InitialPosition, unknown, unknown>(
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
/** A logger: an object with `debug`, `info`, `warn` and `error` functions (pino's shape). */
export const LoggerCodec = new t.Type<Logger, unknown, unknown>(
  'Logger',
  isLogger,
  (u, c) => (isLogger(u) ? t.success(u) : t.failure(u, c, expecting('a logger (an object with debug, info, warn and error functions)', u, c))),
  t.identity,
);

/** An RxJS scheduler: anything with `now()` and `schedule()`. */
export const Scheduler = new t.Type<SchedulerLike, unknown, unknown>(
  'SchedulerLike',
  isScheduler,
  (u, c) => (isScheduler(u) ? t.success(u) : t.failure(u, c, expecting('SchedulerLike (an object with now() and schedule())', u, c))),
  t.identity,
);

/** A function, such as `retry.random`. */
export const FunctionCodec = new t.Type<() => number, unknown, unknown>(
  'function',
  (u): u is () => number => typeof u === 'function',
  (u, c) => (typeof u === 'function' ? t.success(u as () => number) : t.failure(u, c, expecting('a function returning a number in [0, 1)', u, c))),
  t.identity,
);
