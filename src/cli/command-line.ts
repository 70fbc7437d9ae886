/**
 * The grammar of the `kinesumer` command line: its commands, their flags, the help texts, and
 * {@link parseCommandLine}, which turns argv (and two environment variables) into checked options
 * with `node:util` `parseArgs`. Every problem becomes one {@link CommandLineError} line.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { LIMITS } from '../config/defaults.js';
import type { InitialPosition } from '../config/kinesumer-config.js';
import { parseRfc3339 } from '../state-store/dynamodb/items.js';
import { DEFAULT_TABLE, HELP } from './help.js';

export { DEFAULT_TABLE } from './help.js';

/** `--client-timeout` of `status` when not given: the library's default `group.clientTimeout`. */
export const DEFAULT_STATUS_CLIENT_TIMEOUT = 10_000;

/** Exit codes: 0 success, 1 a failure at run time, 2 a bad command line, 3 a seek not confirmed. */
export const EXIT = { ok: 0, failure: 1, usage: 2, notConfirmed: 3 } as const;

/** A bad command line (exit 2), or a failure the command already put into words (`exitCode` 1). */
export class CommandLineError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
  ) {
    super(message);
    this.name = 'CommandLineError';
  }
}

/** What every command that talks to DynamoDB takes. */
export interface StateTableOptions {
  table: string;
  region: string | undefined;
  dynamodbEndpoint: string | undefined;
  debug: boolean;
}

export interface TailOptions extends StateTableOptions {
  app: string;
  streams: string[];
  kinesisEndpoint: string | undefined;
  clientId: string | undefined;
  from: InitialPosition;
  syncInterval: number | undefined;
  clientTimeout: number | undefined;
  commitInterval: number | undefined;
  /** Read with enhanced fan-out (SubscribeToShard) instead of GetRecords. */
  efo: boolean;
}

export interface StatusOptions extends StateTableOptions {
  app: string;
  /** Only these streams; empty: every stream the group has a shard list for. */
  streams: string[];
  json: boolean;
  /** A client whose heartbeat is older than this is shown dead, ms. */
  clientTimeout: number;
  /** Show the status again every `interval` ms until SIGINT or SIGTERM. */
  watch: boolean;
  /** With `watch`: time between updates, ms. */
  interval: number;
}

export type CreateTableOptions = StateTableOptions;

/** Where `kinesumer seek --to` sends shards: as `seekGroup` takes it. */
export type SeekTo = 'TRIM_HORIZON' | 'LATEST' | { timestamp: Date } | { sequenceNumber: string };

export interface SeekCommandOptions extends StateTableOptions {
  app: string;
  stream: string;
  to: SeekTo;
  /** Only these shards (and their descendants); empty: every shard. */
  shards: string[];
  /** Apply without asking. */
  yes: boolean;
  kinesisEndpoint: string | undefined;
}

/** A parsed command line. */
export type Command =
  | { command: 'tail'; options: TailOptions }
  | { command: 'status'; options: StatusOptions }
  | { command: 'create-table'; options: CreateTableOptions }
  | { command: 'seek'; options: SeekCommandOptions }
  | { command: 'help'; text: string }
  | { command: 'version' };

const COMMANDS = ['tail', 'status', 'seek', 'create-table'] as const;
type CommandName = (typeof COMMANDS)[number];

const TABLE_FLAGS = {
  table: { type: 'string' },
  region: { type: 'string' },
  'dynamodb-endpoint': { type: 'string' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

const FLAGS = {
  tail: {
    ...TABLE_FLAGS,
    app: { type: 'string' },
    stream: { type: 'string', multiple: true },
    'kinesis-endpoint': { type: 'string' },
    'client-id': { type: 'string' },
    from: { type: 'string' },
    efo: { type: 'boolean' },
    'sync-interval': { type: 'string' },
    'client-timeout': { type: 'string' },
    'commit-interval': { type: 'string' },
  },
  status: {
    ...TABLE_FLAGS,
    app: { type: 'string' },
    stream: { type: 'string', multiple: true },
    json: { type: 'boolean' },
    'client-timeout': { type: 'string' },
    watch: { type: 'boolean' },
    interval: { type: 'string' },
  },
  seek: {
    ...TABLE_FLAGS,
    app: { type: 'string' },
    stream: { type: 'string', multiple: true },
    to: { type: 'string' },
    shard: { type: 'string', multiple: true },
    yes: { type: 'boolean', short: 'y' },
    'kinesis-endpoint': { type: 'string' },
  },
  'create-table': TABLE_FLAGS,
} as const satisfies Record<CommandName, ParseArgsConfig['options']>;

/**
 * Parses `kinesumer` arguments (without `node` and the script).
 *
 * ## Example
 * ```ts
 * import { parseCommandLine } from './command-line.js';
 * const parsed = parseCommandLine(['tail', '--app', 'a', '--stream', 's'], process.env);
 * ```
 *
 * @param argv The arguments after the script name.
 * @param env Where `KINESUMER_KINESIS_ENDPOINT` and `KINESUMER_DYNAMODB_ENDPOINT` are read (flags win).
 * @returns The command and its checked options, or the help text or version to print.
 * @throws CommandLineError with one line saying what is wrong.
 */
export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv): Command {
  const [first, ...rest] = argv;
  if (first === undefined) throw new CommandLineError(`a command is needed: ${COMMANDS.join(', ')} (see kinesumer --help)`);
  if (first === '--help' || first === '-h') return { command: 'help', text: HELP.kinesumer };
  if (first === '--version' || first === '-v') return { command: 'version' };
  if (first === 'help') {
    const topic = rest[0];
    if (topic === undefined) return { command: 'help', text: HELP.kinesumer };
    if (isCommandName(topic)) return { command: 'help', text: HELP[topic] };
    throw new CommandLineError(`unknown command "${topic}": use ${COMMANDS.join(', ')}`);
  }
  if (!isCommandName(first)) {
    const what = first.startsWith('-') ? `the command comes first, before options such as ${first}` : `unknown command "${first}"`;
    throw new CommandLineError(`${what}: use ${COMMANDS.join(', ')} (see kinesumer --help)`);
  }
  const values = parseFlags(first, rest);
  if (values['help'] === true) return { command: 'help', text: HELP[first] };

  const table = tableOptions(values, env);
  switch (first) {
    case 'create-table':
      return { command: 'create-table', options: table };
    case 'status':
      return {
        command: 'status',
        options: {
          ...table,
          app: appName(values['app']),
          streams: streamNames(values['stream'], false),
          json: values['json'] === true,
          clientTimeout: milliseconds('--client-timeout', values['client-timeout']) ?? DEFAULT_STATUS_CLIENT_TIMEOUT,
          watch: values['watch'] === true,
          interval: watchInterval(values),
        },
      };
    case 'seek': {
      const streams = streamNames(values['stream'], true);
      if (streams.length > 1) throw new CommandLineError('--stream STREAM is needed exactly once: a seek is of one stream');
      const shards = shardIds(values['shard']);
      return {
        command: 'seek',
        options: {
          ...table,
          app: appName(values['app']),
          stream: streams[0]!,
          to: seekPosition(values['to'], shards),
          shards,
          yes: values['yes'] === true,
          kinesisEndpoint: endpoint('--kinesis-endpoint', values['kinesis-endpoint'], env, 'KINESUMER_KINESIS_ENDPOINT'),
        },
      };
    }
    case 'tail': {
      return {
        command: 'tail',
        options: {
          ...table,
          app: appName(values['app']),
          streams: streamNames(values['stream'], true),
          kinesisEndpoint: endpoint('--kinesis-endpoint', values['kinesis-endpoint'], env, 'KINESUMER_KINESIS_ENDPOINT'),
          clientId: clientId(values['client-id']),
          from: position(values['from']),
          syncInterval: milliseconds('--sync-interval', values['sync-interval']),
          clientTimeout: milliseconds('--client-timeout', values['client-timeout']),
          commitInterval: milliseconds('--commit-interval', values['commit-interval']),
          efo: values['efo'] === true,
        },
      };
    }
  }
}

type FlagValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

function isCommandName(name: string): name is CommandName {
  return (COMMANDS as readonly string[]).includes(name);
}

/** parseArgs, strict, with its errors reworded to one line that names the flag. */
function parseFlags(command: CommandName, args: readonly string[]): FlagValues {
  try {
    return parseArgs({ args: [...args], options: FLAGS[command], strict: true, allowPositionals: false }).values as FlagValues;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const message = err instanceof Error ? err.message : String(err);
    const flag = /'(?:-[a-zA-Z], )?(-[^' ,]+)/.exec(message)?.[1]; // '-y, --yes': the long name
    const see = `(see kinesumer ${command} --help)`;
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new CommandLineError(`unknown option ${flag ?? ''} for ${command} ${see}`);
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      const arg = /'([^']*)'/.exec(message)?.[1] ?? '';
      throw new CommandLineError(`unexpected argument "${arg}" ${see}`);
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const takesNoValue = /does not take an argument/.test(message);
      throw new CommandLineError(`${flag ?? 'an option'} ${takesNoValue ? 'takes no value' : 'needs a value'} ${see}`);
    }
    throw new CommandLineError(`${message.split('\n')[0]} ${see}`);
  }
}

function tableOptions(values: FlagValues, env: NodeJS.ProcessEnv): StateTableOptions {
  const table = stringValue(values['table']) ?? DEFAULT_TABLE;
  if (!/^[a-zA-Z0-9_.-]{3,255}$/.test(table)) {
    throw new CommandLineError(`--table "${table}" is not a DynamoDB table name: 3 to 255 characters of a-z, A-Z, 0-9, _ . -`);
  }
  const region = stringValue(values['region']);
  if (region !== undefined && !/^[a-z0-9-]+$/.test(region)) throw new CommandLineError(`--region "${region}" is not an AWS region such as us-east-1`);
  return {
    table,
    region,
    dynamodbEndpoint: endpoint('--dynamodb-endpoint', values['dynamodb-endpoint'], env, 'KINESUMER_DYNAMODB_ENDPOINT'),
    debug: values['debug'] === true,
  };
}

function stringValue(value: FlagValues[string]): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function appName(value: FlagValues[string]): string {
  const app = stringValue(value);
  if (app === undefined || app === '') throw new CommandLineError('--app APP is required: the consumer group name');
  if (app.length > LIMITS.appLength || app.includes('#')) {
    throw new CommandLineError(`--app "${app}" is not a group name: at most ${LIMITS.appLength} characters, no '#'`);
  }
  return app;
}

function clientId(value: FlagValues[string]): string | undefined {
  const id = stringValue(value);
  if (id !== undefined && (id === '' || id.includes('#'))) throw new CommandLineError(`--client-id "${id}" must be non-empty and without '#'`);
  return id;
}

function streamNames(value: FlagValues[string], required: boolean): string[] {
  const streams = Array.isArray(value) ? value.filter((s): s is string => typeof s === 'string') : [];
  if (required && streams.length === 0) throw new CommandLineError('--stream STREAM is required; repeat it to read several streams');
  for (const stream of streams) {
    if (!/^[a-zA-Z0-9_.-]{1,128}$/.test(stream)) {
      throw new CommandLineError(`--stream "${stream}" is not a Kinesis stream name: 1 to 128 characters of a-z, A-Z, 0-9, _ . -`);
    }
  }
  return [...new Set(streams)];
}

function endpoint(flag: string, value: FlagValues[string], env: NodeJS.ProcessEnv, variable: string): string | undefined {
  const fromFlag = stringValue(value);
  const url = fromFlag ?? (env[variable] || undefined);
  if (url === undefined) return undefined;
  let protocol: string | undefined;
  try {
    protocol = new URL(url).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'http:' && protocol !== 'https:') {
    const source = fromFlag === undefined ? `${variable}` : flag;
    throw new CommandLineError(`${source} "${url}" is not an http:// or https:// URL such as http://localhost:4567`);
  }
  return url;
}

function milliseconds(flag: string, value: FlagValues[string]): number | undefined {
  const text = stringValue(value);
  if (text === undefined) return undefined;
  const ms = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(ms) || ms <= 0) throw new CommandLineError(`${flag} "${text}" must be a positive whole number of milliseconds`);
  return ms;
}

/** `latest`, `trim_horizon` (any case, `-` for `_` too), an RFC 3339 time, or a UTC date. */
function position(value: FlagValues[string]): InitialPosition {
  const text = stringValue(value);
  if (text === undefined) return 'LATEST';
  const word = text.toUpperCase().replace('-', '_');
  if (word === 'LATEST' || word === 'TRIM_HORIZON') return word;
  const timestamp = /^\d{4}-\d{2}-\d{2}$/.test(text) ? parseRfc3339(`${text}T00:00:00Z`) : parseRfc3339(text);
  if (timestamp === undefined) {
    throw new CommandLineError(`--from "${text}" must be latest, trim_horizon or an ISO timestamp such as 2024-03-01T12:00:00Z`);
  }
  return { timestamp };
}

/** `--interval MS` of `status --watch`: at least 100, default 1000; only with `--watch`. */
function watchInterval(values: FlagValues): number {
  const interval = milliseconds('--interval', values['interval']);
  if (interval === undefined) return 1000;
  if (values['watch'] !== true) throw new CommandLineError('--interval applies to --watch only (see kinesumer status --help)');
  if (interval < 100) throw new CommandLineError(`--interval "${interval}" must be at least 100 milliseconds`);
  return interval;
}

function shardIds(value: FlagValues[string]): string[] {
  const ids = Array.isArray(value) ? value.filter((s): s is string => typeof s === 'string') : [];
  for (const id of ids) {
    if (!/^[a-zA-Z0-9_.-]{1,128}$/.test(id)) throw new CommandLineError(`--shard "${id}" is not a shard id such as shardId-000000000001`);
  }
  return [...new Set(ids)];
}

/** `--to` of `seek`: latest, trim_horizon, an RFC 3339 time or a UTC date, or a sequence number (with one `--shard`). */
function seekPosition(value: FlagValues[string], shards: readonly string[]): SeekTo {
  const text = stringValue(value);
  if (text === undefined) throw new CommandLineError('--to POSITION is required: trim_horizon, latest, an ISO timestamp, or a sequence number with --shard');
  if (/^(0|[1-9][0-9]*)$/.test(text)) {
    if (shards.length !== 1) throw new CommandLineError(`--to ${text} is a sequence number: it needs exactly one --shard, the shard it belongs to`);
    return { sequenceNumber: text };
  }
  let initial: InitialPosition;
  try {
    initial = position(text);
  } catch {
    throw new CommandLineError(`--to "${text}" must be trim_horizon, latest, an ISO timestamp such as 2024-03-01T12:00:00Z, or a sequence number (with --shard)`);
  }
  return typeof initial === 'string' ? initial : { timestamp: initial.timestamp };
}
