/**
 * The configuration of `createKinesumer`: {@link resolveConfig} decodes it with io-ts and fills in
 * the defaults ({@link DEFAULTS}). Every problem is collected into one {@link ConfigError} and
 * named by its dotted path from the root codec `Config` (`Config.group.syncInterval`), in the
 * wording of io-ts-reporters and Hardhat.
 *
 * The types, defaults, reporter and codecs live in files of their own beside this one; this file
 * re-exports the public ones.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { isLeft } from 'fp-ts/lib/Either.js';
import { asyncScheduler } from 'rxjs';
import { CONSUMER_NAME, defaultConsumerName } from '../efo/consumer-name.js';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { isEfoKinesisApi, isKinesisApi } from '../kinesis/kinesis-api.js';
import { stderrLogger } from '../logger.js';
import { isStateStore } from '../state-store/is-state-store.js';
import { KinesisCodec, StateStoreCodec } from './client-codecs.js';
import { closed, isRecord } from './combinators.js';
import { DEFAULTS, EFO_DEFAULTS, defaultScanTimeout } from './defaults.js';
import { AppName, ClientId, InitialPositionCodec, LoggerCodec, Region, Scheduler } from './field-codecs.js';
import type { EfoOptions, ResolvedConfig } from './kinesumer-config.js';
import { toProblems } from './reporter.js';
import { Commit, Efo, Group, Metrics, Polling, Retry } from './section-codecs.js';

export type { EfoOptions, InitialPosition, KinesumerConfig, ResolvedConfig } from './kinesumer-config.js';
export type { KinesisOptions } from '../kinesis/kinesis-options.js';
export type { DynamoDBStateStoreOptions } from '../state-store/dynamodb/dynamodb-options.js';
export { DEFAULTS, EFO_DEFAULTS, LIMITS } from './defaults.js';

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

/**
 * Static membership keeps shards reserved for a client id across a restart: with the default id
 * (hostname plus a random suffix) the restarted client would never be the one they wait for.
 */
function staticMembershipProblems(config: { clientId?: string; group?: { staticMembership?: boolean } }): ConfigProblem[] {
  if (config.group?.staticMembership !== true || config.clientId !== undefined) return [];
  return [
    {
      path: 'Config.clientId',
      message:
        'Missing Config.clientId - Config.group.staticMembership keeps shards reserved for this id across a restart, ' +
        'so it needs a stable id of your own (a pod or host name, say), not the random default',
    },
  ];
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
    metrics: Metrics,
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
 * @returns The configuration with every default filled in. State stores, seams, the scheduler and
 *   clients of the library's own AWS SDK copy are the very objects given; a client of another copy
 *   (the application's) is replaced by one of the library's copy with its settings; option
 *   objects are copies.
 * @throws {ConfigError} When anything is wrong; `problems` has one entry per bad field.
 */
export function resolveConfig(input: unknown): ResolvedConfig {
  const result = Config.decode(input);
  if (isLeft(result)) throw new ConfigError(toProblems(result.left));
  const config = result.right;
  const rules = [...efoProblems(config), ...staticMembershipProblems(config)];
  if (rules.length > 0) throw new ConfigError(rules);
  const position = config.initialPosition ?? DEFAULTS.initialPosition;
  return {
    app: config.app,
    clientId: config.clientId ?? defaultClientId(),
    kinesis:
      config.kinesis instanceof KinesisClient || isKinesisApi(config.kinesis)
        ? config.kinesis
        : withRegion(config.kinesis, config.region),
    stateStore: isStateStore(config.stateStore)
      ? config.stateStore
      : config.stateStore.client === undefined
        ? withRegion(config.stateStore, config.region)
        : { ...config.stateStore },
    initialPosition: typeof position === 'string' ? position : { timestamp: position.timestamp },
    group: { ...DEFAULTS.group, ...definedOnly(config.group) },
    commit: { ...DEFAULTS.commit, ...definedOnly(config.commit) },
    polling: resolvePolling(definedOnly(config.polling)),
    retry: { ...DEFAULTS.retry, ...definedOnly(config.retry) },
    scheduler: config.scheduler ?? asyncScheduler,
    metrics: { ...DEFAULTS.metrics, ...definedOnly(config.metrics) },
    logger: config.logger ?? stderrLogger,
    efo: resolveEfo(config.efo),
  };
}

/** The `polling` options with defaults; the default `scanTimeout` follows the `scanLimit`. */
function resolvePolling(polling: Partial<ResolvedConfig['polling']>): ResolvedConfig['polling'] {
  const scanLimit = polling.scanLimit ?? DEFAULTS.polling.scanLimit;
  return { ...DEFAULTS.polling, scanTimeout: defaultScanTimeout(scanLimit), ...polling };
}

/** `options` with `region` filled in from the top-level default when it has none. */
function withRegion<T extends { region?: string | undefined }>(options: T, region: string | undefined): T {
  return options.region === undefined && region !== undefined ? { ...options, region } : { ...options };
}

/** The properties of `o` that are set: `{ syncInterval: undefined }` must not override a default. */
function definedOnly<T extends object>(o: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}
