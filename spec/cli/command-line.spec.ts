import test from 'ava';
import { CommandLineError, DEFAULT_TABLE, parseCommandLine, type Command } from '../../src/cli/command-line.js';

const tail = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
  const parsed = parseCommandLine(['tail', ...argv], env);
  if (parsed.command !== 'tail') throw new Error(`parsed as ${parsed.command}`);
  return parsed.options;
};

const problem = (argv: string[], env: NodeJS.ProcessEnv = {}): CommandLineError => {
  let parsed: Command | undefined;
  try {
    parsed = parseCommandLine(argv, env);
  } catch (err) {
    if (err instanceof CommandLineError) return err;
    throw err;
  }
  throw new Error(`expected a CommandLineError, parsed ${JSON.stringify(parsed)}`);
};

test('tail: defaults, repeated --stream, and every timing', (t) => {
  const options = tail(['--app', 'billing', '--stream', 'orders', '--stream', 'refunds', '--stream', 'orders']);
  t.deepEqual(options, {
    app: 'billing',
    streams: ['orders', 'refunds'],
    table: DEFAULT_TABLE,
    region: undefined,
    dynamodbEndpoint: undefined,
    kinesisEndpoint: undefined,
    clientId: undefined,
    from: 'LATEST',
    syncInterval: undefined,
    clientTimeout: undefined,
    commitInterval: undefined,
    efo: false,
    debug: false,
  });
  t.true(tail(['--app', 'a', '--stream', 's', '--efo']).efo);
  const timed = tail(['--app', 'a', '--stream', 's', '--sync-interval', '1000', '--client-timeout', '3000', '--commit-interval', '500']);
  t.is(timed.syncInterval, 1000);
  t.is(timed.clientTimeout, 3000);
  t.is(timed.commitInterval, 500);
});

test('tail: --from takes latest, trim_horizon (any case) and ISO timestamps', (t) => {
  const from = (value: string) => tail(['--app', 'a', '--stream', 's', '--from', value]).from;
  t.is(from('latest'), 'LATEST');
  t.is(from('TRIM_HORIZON'), 'TRIM_HORIZON');
  t.is(from('trim-horizon'), 'TRIM_HORIZON');
  t.deepEqual(from('2024-03-01T12:00:00Z'), { timestamp: new Date('2024-03-01T12:00:00Z') });
  t.deepEqual(from('2024-03-01T13:00:00.5+01:00'), { timestamp: new Date('2024-03-01T12:00:00.500Z') });
  t.deepEqual(from('2024-03-01'), { timestamp: new Date('2024-03-01T00:00:00Z') });
});

test('endpoints come from the environment, and the flags win over it', (t) => {
  const env = { KINESUMER_KINESIS_ENDPOINT: 'http://localhost:4567', KINESUMER_DYNAMODB_ENDPOINT: 'http://localhost:8000' };
  const fromEnv = tail(['--app', 'a', '--stream', 's'], env);
  t.is(fromEnv.kinesisEndpoint, 'http://localhost:4567');
  t.is(fromEnv.dynamodbEndpoint, 'http://localhost:8000');
  const fromFlags = tail(['--app', 'a', '--stream', 's', '--kinesis-endpoint', 'http://k:1', '--dynamodb-endpoint', 'https://d:2'], env);
  t.is(fromFlags.kinesisEndpoint, 'http://k:1');
  t.is(fromFlags.dynamodbEndpoint, 'https://d:2');
  const status = parseCommandLine(['status', '--app', 'a'], env);
  t.is(status.command === 'status' ? status.options.dynamodbEndpoint : undefined, 'http://localhost:8000');
});

test('status and create-table options', (t) => {
  t.deepEqual(parseCommandLine(['status', '--app', 'a', '--json', '--stream', 's', '--table', 'tbl', '--client-timeout', '3000'], {}), {
    command: 'status',
    options: { app: 'a', streams: ['s'], json: true, clientTimeout: 3000, watch: false, interval: 1000, table: 'tbl', region: undefined, dynamodbEndpoint: undefined, debug: false },
  });
  const watch = parseCommandLine(['status', '--app', 'a', '--watch', '--interval', '250'], {});
  t.like(watch.command === 'status' ? watch.options : {}, { watch: true, interval: 250 });
  const status = parseCommandLine(['status', '--app', 'a'], {});
  t.is(status.command === 'status' ? status.options.clientTimeout : 0, 10_000);
  t.deepEqual(parseCommandLine(['create-table', '--region', 'eu-west-1', '--debug'], {}), {
    command: 'create-table',
    options: { table: DEFAULT_TABLE, region: 'eu-west-1', dynamodbEndpoint: undefined, debug: true },
  });
});

test('seek options: positions, shards, --yes', (t) => {
  const seek = (...argv: string[]) => {
    const parsed = parseCommandLine(['seek', '--app', 'a', '--stream', 's', ...argv], {});
    return parsed.command === 'seek' ? parsed.options : undefined;
  };
  t.like(seek('--to', 'trim_horizon'), { app: 'a', stream: 's', to: 'TRIM_HORIZON', shards: [], yes: false });
  t.like(seek('--to', 'LATEST', '-y'), { to: 'LATEST', yes: true });
  t.deepEqual(seek('--to', '2024-03-01')?.to, { timestamp: new Date('2024-03-01T00:00:00Z') });
  t.deepEqual(seek('--to', '2024-03-01T12:00:00+01:00')?.to, { timestamp: new Date('2024-03-01T11:00:00Z') });
  t.like(seek('--to', '49590338271490256608559692538361571095921575989136588818', '--shard', 'shardId-000000000001'), {
    to: { sequenceNumber: '49590338271490256608559692538361571095921575989136588818' },
    shards: ['shardId-000000000001'],
  });
  t.deepEqual(seek('--to', 'latest', '--shard', 'shardId-1', '--shard', 'shardId-2', '--shard', 'shardId-1')?.shards, ['shardId-1', 'shardId-2']);
});

test('help and version', (t) => {
  for (const argv of [['--help'], ['-h'], ['help']]) t.regex((parseCommandLine(argv, {}) as { text: string }).text, /kinesumer tail --app APP/);
  t.regex((parseCommandLine(['tail', '--help'], {}) as { text: string }).text, /--commit-interval MS/);
  t.regex((parseCommandLine(['help', 'status'], {}) as { text: string }).text, /--json/);
  t.deepEqual(parseCommandLine(['--version'], {}), { command: 'version' });
});

for (const [argv, message, env] of [
  [[], /a command is needed/],
  [['tial'], /unknown command "tial"/],
  [['--app', 'a', 'tail'], /the command comes first/],
  [['tail', '--stream', 's'], /--app APP is required/],
  [['tail', '--app', 'a'], /--stream STREAM is required/],
  [['tail', '--app', 'a', '--stream', 's', '--bogus'], /^unknown option --bogus for tail/],
  [['tail', '--app'], /^--app needs a value/],
  [['status', '--app', 'a', '--json=yes'], /^--json takes no value/],
  [['status', '--app', 'a', 'extra'], /unexpected argument "extra"/],
  [['tail', '--app', 'a#b', '--stream', 's'], /--app "a#b" is not a group name/],
  [['tail', '--app', 'a', '--stream', 'no/slash'], /--stream "no\/slash" is not a Kinesis stream name/],
  [['tail', '--app', 'a', '--stream', 's', '--from', 'yesterday'], /--from "yesterday" must be latest, trim_horizon or an ISO timestamp/],
  [['tail', '--app', 'a', '--stream', 's', '--from', '2024-02-30T00:00:00Z'], /--from "2024-02-30T00:00:00Z"/],
  [['tail', '--app', 'a', '--stream', 's', '--sync-interval', '0'], /--sync-interval "0" must be a positive whole number of milliseconds/],
  [['tail', '--app', 'a', '--stream', 's', '--commit-interval', '1.5'], /--commit-interval "1.5"/],
  [['tail', '--app', 'a', '--stream', 's', '--kinesis-endpoint', 'localhost:4567'], /--kinesis-endpoint "localhost:4567" is not an http/],
  [['tail', '--app', 'a', '--stream', 's'], /KINESUMER_DYNAMODB_ENDPOINT "ftp:\/\/x" is not an http/, { KINESUMER_DYNAMODB_ENDPOINT: 'ftp://x' }],
  [['create-table', '--table', 'ab'], /--table "ab" is not a DynamoDB table name/],
  [['status', '--app', 'a', '--interval', '500'], /--interval applies to --watch only/],
  [['seek', '--app', 'a', '--stream', 's'], /--to POSITION is required/],
  [['seek', '--app', 'a', '--to', 'latest'], /--stream STREAM is required/],
  [['seek', '--app', 'a', '--stream', 's', '--stream', 't', '--to', 'latest'], /--stream STREAM is needed exactly once/],
  [['seek', '--app', 'a', '--stream', 's', '--to', 'yesterday'], /--to "yesterday" must be trim_horizon, latest, an ISO timestamp/],
  [['seek', '--app', 'a', '--stream', 's', '--to', '2024-02-30'], /--to "2024-02-30" must be/],
  [['seek', '--app', 'a', '--stream', 's', '--to', '4959'], /--to 4959 is a sequence number: it needs exactly one --shard/],
  [['seek', '--app', 'a', '--stream', 's', '--to', '4959', '--shard', 'x', '--shard', 'y'], /needs exactly one --shard/],
  [['seek', '--app', 'a', '--stream', 's', '--to', 'latest', '--shard', 'bad/id'], /--shard "bad\/id" is not a shard id/],
  [['seek', '--app', 'a', '--stream', 's', '--to', 'latest', '--yes=no'], /--yes takes no value/],
  [['status', '--app', 'a', '--watch', '--interval', '50'], /--interval "50" must be at least 100 milliseconds/],
] as [string[], RegExp, NodeJS.ProcessEnv?][]) {
  test(`bad command line: ${argv.join(' ') || '(nothing)'}${env ? ` with ${Object.keys(env).join(', ')}` : ''}`, (t) => {
    const err = problem(argv, env ?? {});
    t.regex(err.message, message);
    t.is(err.exitCode, 2);
    t.false(err.message.includes('\n'), 'one line');
  });
}
