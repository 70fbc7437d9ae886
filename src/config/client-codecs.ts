/**
 * Codecs of the configured AWS seams: `kinesis` (a `KinesisClient`, a ready `KinesisApi`, or the
 * options to build a client) and `stateStore` (a `StateStore`, or the DynamoDB table to use).
 * Clients, seams and stores are taken as they are; option objects are checked field by field.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import * as t from 'io-ts';
import { isKinesisApi, type KinesisApi } from '../kinesis/kinesis-api.js';
import type { KinesisOptions } from '../kinesis/kinesis-options.js';
import type { DynamoDBStateStoreOptions } from '../state-store/dynamodb/dynamodb-options.js';
import { STATE_STORE_METHODS, isStateStore, missingStateStoreMethods } from '../state-store/is-state-store.js';
import type { StateStore } from '../state-store/state-store.js';
import { closed, instanceOf, isRecord, sdkHint } from './combinators.js';
import { Credentials, Endpoint, ExternalId, Region, RoleArn, SessionName, TableName } from './field-codecs.js';
import { expecting } from './reporter.js';

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

/** A `KinesisClient` as it is, or the options to build one. */
export const KinesisCodec = new t.Type<KinesisClient | KinesisOptions | KinesisApi, unknown, unknown>(
  'KinesisClient | KinesisOptions',
  (u): u is KinesisClient | KinesisOptions | KinesisApi => u instanceof KinesisClient || isKinesisApi(u) || KinesisOptionsCodec.is(u),
  (u, c) => {
    if (u instanceof KinesisClient || isKinesisApi(u)) return t.success(u);
    if (isRecord(u) && typeof u['send'] !== 'function') return KinesisOptionsCodec.validate(u, c);
    return t.failure(u, c, expecting('KinesisClient | KinesisOptions', u, c) + sdkHint(u, 'KinesisClient', '@aws-sdk/client-kinesis'));
  },
  t.identity,
);

/** `DynamoDBStateStoreOptions`: the table, and the client or how to build one. */
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
