/**
 * Codecs of the configured AWS seams: `kinesis` (a `KinesisClient`, a ready `KinesisApi`, or the
 * options to build a client) and `stateStore` (a `StateStore`, or the DynamoDB table to use).
 * Seams, stores and the library's own clients are taken as they are; a client of another copy of
 * the AWS SDK (the application's) is adopted into one of the library's copy (`sdk-client.ts`);
 * option objects are checked field by field.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import * as t from 'io-ts';
import { isKinesisApi, type KinesisApi } from '../kinesis/kinesis-api.js';
import type { KinesisOptions } from '../kinesis/kinesis-options.js';
import type { DynamoDBStateStoreOptions } from '../state-store/dynamodb/dynamodb-options.js';
import { STATE_STORE_METHODS, isStateStore, missingStateStoreMethods } from '../state-store/is-state-store.js';
import type { StateStore } from '../state-store/state-store.js';
import { adoptSdkClient, checkSdkClient, type AwsSdkClient } from '../internal/sdk-client.js';
import { DYNAMODB_PACKAGE } from '../state-store/dynamodb/dynamodb-client.js';
import { closed, isRecord, withRule } from './combinators.js';
import { Credentials, Endpoint, ExternalId, Region, RoleArn, SessionName, TableName } from './field-codecs.js';
import { expecting, pathOf } from './reporter.js';

/** `KinesisOptions`: how to build a `KinesisClient`. */
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

/**
 * A `KinesisClient` (the library's as it is, another SDK copy's adopted), a `KinesisApi` seam as
 * it is, or the options to build a client.
 */
export const KinesisCodec = new t.Type<KinesisClient | KinesisOptions | KinesisApi, unknown, unknown>(
  'KinesisClient | KinesisOptions',
  (u): u is KinesisClient | KinesisOptions | KinesisApi => u instanceof KinesisClient || isKinesisApi(u) || KinesisOptionsCodec.is(u),
  (u, c) => {
    if (isKinesisApi(u)) return t.success(u);
    const check = checkSdkClient(u, 'Kinesis', KinesisClient, '@aws-sdk/client-kinesis');
    if (check?.ok) return t.success(adoptSdkClient(u as AwsSdkClient, KinesisClient));
    if (check === undefined && isRecord(u)) return KinesisOptionsCodec.validate(u, c);
    return t.failure(u, c, expecting('KinesisClient | KinesisOptions', u, c) + (check?.hint ?? ''));
  },
  t.identity,
);

/** A `DynamoDBClient`: the library's as it is, another SDK copy's adopted. */
const DynamoDBClientCodec = new t.Type<DynamoDBClient, unknown, unknown>(
  'DynamoDBClient',
  (u): u is DynamoDBClient => u instanceof DynamoDBClient,
  (u, c) => {
    const check = checkSdkClient(u, 'DynamoDB', DynamoDBClient, DYNAMODB_PACKAGE);
    if (check?.ok) return t.success(adoptSdkClient(u as AwsSdkClient, DynamoDBClient));
    return t.failure(u, c, expecting('DynamoDBClient', u, c) + (check?.hint ?? ` - pass an AWS SDK v3 client (${DYNAMODB_PACKAGE})`));
  },
  t.identity,
);

/** Settings a given client brings itself: next to `client` they would be silently ignored. */
const CLIENT_SETTINGS = ['region', 'endpoint', 'credentials'] as const;

/**
 * `DynamoDBStateStoreOptions`: the table, and the client or how to build one (region, endpoint
 * and credentials only without a client).
 */
const DynamoDBStateStoreOptionsCodec = withRule(
  closed(
    'DynamoDBStateStoreOptions',
    { table: TableName },
    {
      client: DynamoDBClientCodec,
      region: Region,
      endpoint: Endpoint,
      credentials: Credentials,
    },
  ),
  (options, c) =>
    options.client === undefined
      ? []
      : CLIENT_SETTINGS.filter((key) => options[key] !== undefined).map((key) => {
          const at = t.appendContext(c, key, t.never, options[key]);
          return {
            value: options[key],
            context: at,
            message:
              `Unexpected ${pathOf(at)} together with ${pathOf(c)}.client - the client brings its own ${key}; ` +
              'set it on the client, or give the options without a client',
          };
        }),
);

/**
 * A `StateStore` implementation as it is (an object with any of the store's methods is taken for
 * one, and must have them all), or the DynamoDB table to use.
 */
export const StateStoreCodec = new t.Type<StateStore | DynamoDBStateStoreOptions, unknown, unknown>(
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
