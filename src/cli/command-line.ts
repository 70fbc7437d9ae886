/**
 * The grammar of the `kinesumer` command line: its commands, their flags, the help texts, and
 * {@link parseCommandLine}, which turns argv (and two environment variables) into checked options
 * with `node:util` `parseArgs`. Every problem becomes one {@link CommandLineError} line.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { LIMITS } from '../config/defaults.js';
import type { InitialPosition } from '../config/kinesumer-config.js';
import { parseRfc3339 } from '../state-store/dynamodb/items.js';

/** The state-store table name kinesumer (Go) uses, and the default of `--table`. */
export const DEFAULT_TABLE = 'kinesumer-state-store';

/** `--client-timeout` of `status` when not given: the library's default `group.clientTimeout`. */
export const DEFAULT_STATUS_CLIENT_TIMEOUT = 10_000;

/** Exit codes: 0 success, 1 a failure at run time, 2 a bad command line. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

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

/** A parsed command line. */
export type Command =
  | { command: 'tail'; options: TailOptions }
  | { command: 'status'; options: StatusOptions }
  | { command: 'create-table'; options: CreateTableOptions }
  | { command: 'help'; text: string }
  | { command: 'version' };

const COMMANDS = ['tail', 'status', 'create-table'] as const;
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
  'create-table': TABLE_FLAGS,
} as const satisfies Record<CommandName, ParseArgsConfig['options']>;

const TABLE_HELP = `  --table NAME               state-store table (default ${DEFAULT_TABLE})
  --region REGION            AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the SDK's
                             profile; us-east-1 when an endpoint is given)
  --dynamodb-endpoint URL    DynamoDB endpoint, e.g. dynalite (env KINESUMER_DYNAMODB_ENDPOINT)
  --debug                    print stack traces with errors
  -h, --help                 this help`;

/** The help text of each command, and of the program. */
export const HELP: Record<CommandName | 'kinesumer', string> = {
  kinesumer: `kinesumer: look at and tail rx-kinesumer consumer groups (Kinesis + DynamoDB state store)

Usage:
  kinesumer tail --app APP --stream STREAM [--stream STREAM2 ...] [options]
  kinesumer status --app APP [--json] [--watch] [options]
  kinesumer create-table [--table NAME] [options]

  kinesumer COMMAND --help    the options of a command
  kinesumer --version

Exit codes: 0 success, 1 failure (unreachable endpoint, missing table or stream), 2 bad command line.
AWS credentials come from the SDK's default chain (environment, profile, instance role).`,

  tail: `kinesumer tail: join a consumer group and print its share of the records, one JSON line each

Usage: kinesumer tail --app APP --stream STREAM [--stream STREAM2 ...] [options]

Each line: {"stream","shardId","sequenceNumber","partitionKey","approximateArrivalTimestamp","data"}
"data" is the payload as a string when it is valid UTF-8, else {"base64": "..."}.
A record is checkpointed only after its line was written to stdout. Logs go to stderr.
SIGTERM or SIGINT: stop reading, commit, release the shards, leave the group, exit 0.

Options:
  --app APP                  consumer group name (required)
  --stream STREAM            stream to read; repeat for several (required)
  --client-id ID             this member's id (default: hostname + random suffix)
  --from POSITION            where shards without a checkpoint start: latest (default),
                             trim_horizon, or an ISO timestamp such as 2024-03-01T12:00:00Z
  --kinesis-endpoint URL     Kinesis endpoint, e.g. kinesis-local (env KINESUMER_KINESIS_ENDPOINT)
  --sync-interval MS         heartbeat and rebalance period (default 5000)
  --client-timeout MS        a member silent this long is dead (default 10000)
  --commit-interval MS       checkpoint commit period (default 5000)
  --efo                      read with enhanced fan-out (SubscribeToShard) instead of GetRecords;
                             registers a stream consumer named after APP (see the README)
${TABLE_HELP}`,

  status: `kinesumer status: show a consumer group's members, leader, shard owners and checkpoints

Usage: kinesumer status --app APP [--stream STREAM ...] [--json] [--watch] [options]

Reads only the state-store table. Lag, last-record age and records in flight are what each
member publishes in its heartbeat (no Kinesis call); each shard gets a status and its reason.

Options:
  --app APP                  consumer group name (required)
  --stream STREAM            only this stream; repeat for several (default: every stream of APP)
  --json                     one JSON document instead of a table
  --watch                    show it again every second until Ctrl-C: redrawn in place on a
                             terminal, one line per update otherwise (one JSON line with --json)
  --interval MS              with --watch: time between updates (default 1000, at least 100)
  --client-timeout MS        heartbeat age after which a member counts as dead (default 10000;
                             use the group's own setting)
${TABLE_HELP}`,

  'create-table': `kinesumer create-table: create the state-store table and its index, wait until ACTIVE

Usage: kinesumer create-table [--table NAME] [options]

An existing table is not an error; its schema is checked.

Options:
${TABLE_HELP}`,
};

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
    const flag = /'(-[^' ]+)/.exec(message)?.[1];
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
