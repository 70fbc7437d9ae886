/**
 * The `kinesumer` command line end to end: each test spawns the CLI (from source, through tsx)
 * against kinesis-local and dynalite, which this file starts on free ports and stops even when a
 * test fails.
 */
import anyTest, { type TestFn } from 'ava';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { lastValueFrom, from } from 'rxjs';
import type { GroupStatus } from '../../src/cli/group-status.js';
import { createStateTable } from '../../src/state-store/dynamodb/create-table.js';
import { DynamoDBStateStore } from '../../src/state-store/dynamodb/dynamodb-state-store.js';
import { createStream, localDynamoClient, localKinesisClient, putRecords, uniqueName } from '../helpers/aws-fixtures.js';
import { freePort, localAws, startDynalite, startKinesisLocal, type Emulator } from '../helpers/emulators.js';
import { TailProcess, cliEnv, hasStack, runCli, type CliResult } from './cli-process.js';

const test = anyTest as TestFn<{ kinesis: Emulator; dynamo: Emulator }>;
const TABLE = 'cli-state';
/** Fast group timings, so that joins and handoffs take a second or two. */
const FAST = ['--sync-interval', '500', '--client-timeout', '2000', '--commit-interval', '500'];

test.before(async (t) => {
  const [kinesis, dynamo] = await Promise.all([startKinesisLocal(), startDynalite()]);
  t.context = { kinesis, dynamo };
  await createStateTable(localDynamoClient(dynamo.endpoint), TABLE);
});

test.after.always(async (t) => {
  await Promise.all([t.context.kinesis?.stop(), t.context.dynamo?.stop()]);
});

const env = (t: { context: { kinesis: Emulator; dynamo: Emulator } }) =>
  cliEnv({ kinesis: t.context.kinesis.endpoint, dynamodb: t.context.dynamo.endpoint });

const store = (t: { context: { dynamo: Emulator } }) =>
  new DynamoDBStateStore({ table: TABLE, endpoint: t.context.dynamo.endpoint, ...localAws });

/** A fresh stream with `shards` shards. */
async function stream(t: { context: { kinesis: Emulator } }, shards: number): Promise<string> {
  const name = uniqueName('cli');
  await createStream(localKinesisClient(t.context.kinesis.endpoint), name, shards);
  return name;
}

// The tests that run tails run one at a time (AVA runs serial tests first, then the rest
// concurrently): several group members plus kinesis-local on a small machine make every call slow.

/** Stops the tails still running when a test ends, passed or failed. */
function cleanup(t: { teardown: (fn: () => void) => void }, ...tails: TailProcess[]): void {
  t.teardown(() => tails.forEach((tail) => tail.kill()));
}

/** The stderr of a failed command: exactly one line, no stack. */
function oneLine(t: { is: (a: unknown, b: unknown, m?: string) => void; false: (v: boolean, m?: string) => void }, result: CliResult): string {
  const lines = result.stderr.split('\n').filter(Boolean);
  t.is(lines.length, 1, `one line on stderr, got:\n${result.stderr}`);
  t.false(hasStack(result.stderr), 'no stack trace');
  t.is(result.stdout, '', 'nothing on stdout');
  return lines[0] ?? '';
}

test.serial('tail prints exactly one JSON line per record with the documented fields; non-UTF-8 data as base64', async (t) => {
  const name = await stream(t, 2);
  const kinesis = localKinesisClient(t.context.kinesis.endpoint);
  const texts = await putRecords(kinesis, name, 'text', 20);
  const binary = Uint8Array.from([0xff, 0x00, 0xfe, 0x80]);
  await kinesis.send(
    new PutRecordsCommand({
      StreamName: name,
      Records: [
        { Data: binary, PartitionKey: 'binary' },
        { Data: new TextEncoder().encode('héllo\n{"json": true}'), PartitionKey: 'unicode' },
      ],
    }),
  );

  const tail = new TailProcess(['--app', uniqueName('fields'), '--stream', name, '--table', TABLE, '--from', 'trim_horizon', ...FAST], env(t));
  cleanup(t, tail);
  await tail.waitForLines(22);
  await new Promise((r) => setTimeout(r, 1500)); // nothing more may come
  t.deepEqual(await tail.stop(), { code: 0, signal: null });

  const lines = tail.lines;
  t.is(lines.length, 22, 'one line per record, no more');
  for (const line of lines) {
    t.deepEqual(Object.keys(line), ['stream', 'shardId', 'sequenceNumber', 'partitionKey', 'approximateArrivalTimestamp', 'data']);
    t.is(line.stream, name);
    t.regex(line.shardId, /^shardId-\d{12}$/);
    t.regex(line.sequenceNumber, /^\d+$/);
    t.regex(line.approximateArrivalTimestamp ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  }
  t.deepEqual(
    lines.filter((l) => l.partitionKey.startsWith('text')).map((l) => l.data).sort(),
    [...texts].sort(),
    'text payloads as strings',
  );
  t.deepEqual(lines.find((l) => l.partitionKey === 'binary')?.data, { base64: Buffer.from(binary).toString('base64') });
  t.is(lines.find((l) => l.partitionKey === 'unicode')?.data, 'héllo\n{"json": true}');
  t.false(hasStack(tail.stderr), tail.stderr);
  t.regex(tail.stderr, /SIGTERM: committing checkpoints and leaving the group/);
});

test.serial('SIGTERM exits 0 and deregisters; a second tail of the same app resumes right after what was printed (SIGINT works too)', async (t) => {
  const name = await stream(t, 2);
  const app = uniqueName('resume');
  const kinesis = localKinesisClient(t.context.kinesis.endpoint);
  const first = await putRecords(kinesis, name, 'first', 12);
  const args = ['--app', app, '--stream', name, '--table', TABLE, '--from', 'trim_horizon', '--client-id', 'tail-a', ...FAST];

  // given a tail that printed every record and was stopped with SIGTERM
  const a = new TailProcess(args, env(t));
  cleanup(t, a);
  await a.waitForLines(12);
  t.deepEqual(await a.stop('SIGTERM'), { code: 0, signal: null });
  t.deepEqual(a.payloads.sort(), [...first].sort());
  // then it left the group
  t.deepEqual(await lastValueFrom(from(store(t).listClients(app))), [], 'the client item is gone');

  // when more records come and a second tail of the same app starts
  const second = await putRecords(kinesis, name, 'second', 8);
  const b = new TailProcess(args, env(t));
  cleanup(t, b);
  await b.waitForLines(8);
  await new Promise((r) => setTimeout(r, 2000)); // time to print anything it should not
  t.deepEqual(await b.stop('SIGINT'), { code: 0, signal: null });
  // then it prints exactly the new ones: nothing printed before comes again, nothing is skipped
  t.deepEqual(b.payloads.sort(), [...second].sort());
});

test.serial('two tails of one app share the stream and together print every record; status --json shows both, the leader and the owners', async (t) => {
  const name = await stream(t, 4);
  const app = uniqueName('shared');
  const kinesis = localKinesisClient(t.context.kinesis.endpoint);
  const payloads = await putRecords(kinesis, name, 'early', 40);
  const args = (id: string) => ['--app', app, '--stream', name, '--table', TABLE, '--from', 'trim_horizon', '--client-id', id, ...FAST];
  const a = new TailProcess(args('tail-a'), env(t));
  const b = new TailProcess(args('tail-b'), env(t));
  cleanup(t, a, b);

  const status = async (...extra: string[]) => {
    const result = await runCli(['status', '--app', app, '--table', TABLE, '--client-timeout', '2000', ...extra], env(t));
    t.is(result.code, 0, result.stderr);
    return result;
  };
  // wait until each of them holds shards
  let group: GroupStatus | undefined;
  const deadline = Date.now() + 40_000;
  for (;;) {
    group = JSON.parse((await status('--json')).stdout) as GroupStatus;
    const owners = new Set(group.streams[0]?.shards.map((s) => s.owner));
    if (owners.has('tail-a') && owners.has('tail-b') && !owners.has(null)) break;
    if (Date.now() > deadline) return t.fail(`both tails never held shards: ${JSON.stringify(group)}\n${a.stderr}\n${b.stderr}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  // records written while both hold shards go to both
  const late = await putRecords(kinesis, name, 'late', 40);
  payloads.push(...late);
  await a.waitFor(() => new Set([...a.payloads, ...b.payloads]).size === payloads.length, 20_000, 'every record');

  t.deepEqual(
    group.clients.map((c) => [c.clientId, c.alive, c.leader]),
    [
      ['tail-a', true, true],
      ['tail-b', true, false],
    ],
  );
  t.is(group.leader, 'tail-a', 'the leader is the first of the sorted ids');
  t.true(group.clients.every((c) => c.heartbeatAgeMs >= 0 && c.heartbeatAgeMs < 2000));
  t.is(group.streams.length, 1, 'the stream was found without --stream');
  t.deepEqual(
    group.streams[0]!.shards.map((s) => s.shardId),
    ['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002', 'shardId-000000000003'],
  );
  t.true(group.streams[0]!.shards.every((s) => s.state === 'open' && s.ownerAlive === true));

  // the checkpoints follow what was printed
  const printed = new Map<string, string>();
  for (const line of [...a.lines, ...b.lines]) {
    const last = printed.get(line.shardId);
    if (last === undefined || BigInt(line.sequenceNumber) > BigInt(last)) printed.set(line.shardId, line.sequenceNumber);
  }
  let checkpoints: GroupStatus['streams'][number]['shards'] = [];
  const until = Date.now() + 10_000;
  do {
    checkpoints = (JSON.parse((await status('--json')).stdout) as GroupStatus).streams[0]!.shards;
    if (checkpoints.every((s) => s.checkpoint === printed.get(s.shardId))) break;
    await new Promise((r) => setTimeout(r, 300));
  } while (Date.now() < until);
  t.deepEqual(
    Object.fromEntries(checkpoints.map((s) => [s.shardId, s.checkpoint])),
    Object.fromEntries([...printed].sort()),
    'each checkpoint is the last record printed from the shard',
  );

  // the table form says the same
  const table = (await status()).stdout;
  t.regex(table, /^CLIENT\s+LAST HEARTBEAT\s+STATE$/m);
  t.regex(table, /^tail-a\s+\d+\.\d s ago\s+alive, leader$/m);
  t.regex(table, /^tail-b\s+\d+\.\d s ago\s+alive$/m);
  t.regex(table, /^SHARD\s+STATE\s+OWNER\s+LAG\s+LAST RECORD\s+IN FLIGHT\s+CHECKPOINT\s+UPDATED\s+STATUS$/m);
  t.regex(table, /^shardId-000000000000\s+open\s+tail-[ab]\s+\d+\.\d s\s+\d+\.\d s ago\s+\d+\s+\d+\s+\d+\.\d s ago\s+reading$/m);
  t.regex(table, /^total: lag \d+\.\d s \(largest\), last record \d+\.\d s ago \(oldest\), \d+ in flight; 4 reading$/m);

  t.deepEqual(await a.stop(), { code: 0, signal: null });
  t.deepEqual(await b.stop(), { code: 0, signal: null });
  t.deepEqual([...new Set([...a.payloads, ...b.payloads])].sort(), [...payloads].sort());
  t.true(late.some((p) => a.payloads.includes(p)) && late.some((p) => b.payloads.includes(p)), 'both printed records');
});

test.serial('tail leaves the group and exits 0 when stdout is closed, without checkpointing what it could not write', async (t) => {
  const name = await stream(t, 1);
  const app = uniqueName('epipe');
  const kinesis = localKinesisClient(t.context.kinesis.endpoint);
  await putRecords(kinesis, name, 'before', 3);
  const tail = new TailProcess(['--app', app, '--stream', name, '--table', TABLE, '--from', 'trim_horizon', ...FAST], env(t));
  cleanup(t, tail);
  await tail.waitForLines(3);
  await new Promise((r) => setTimeout(r, 1500)); // the 3 are committed
  tail.child.stdout!.destroy(); // like `kinesumer tail ... | head -3`
  await putRecords(kinesis, name, 'after', 2);
  const exit = await Promise.race([tail.closed, new Promise((r) => setTimeout(() => r('still running'), 15_000))]);
  t.deepEqual(exit, { code: 0, signal: null }, tail.stderr);
  t.regex(tail.stderr, /stdout was closed: committing checkpoints and leaving the group/);

  // a new tail starts after the 3 printed ones
  const next = new TailProcess(['--app', app, '--stream', name, '--table', TABLE, '--from', 'trim_horizon', ...FAST], env(t));
  cleanup(t, next);
  await next.waitForLines(2);
  await new Promise((r) => setTimeout(r, 1000));
  await next.stop();
  t.deepEqual(next.payloads, ['after-0', 'after-1']);
});

test.serial('tail --efo reads with enhanced fan-out: every record once', async (t) => {
  const name = await stream(t, 2);
  const kinesis = localKinesisClient(t.context.kinesis.endpoint);
  const payloads = await putRecords(kinesis, name, 'efo', 10);
  const tail = new TailProcess(['--app', uniqueName('efo'), '--stream', name, '--table', TABLE, '--from', 'trim_horizon', '--efo', ...FAST], env(t));
  cleanup(t, tail);
  await tail.waitForLines(10, 40_000);
  await new Promise((r) => setTimeout(r, 1000));
  t.deepEqual(await tail.stop(), { code: 0, signal: null });
  t.deepEqual(tail.payloads.sort(), [...payloads].sort());
  t.regex(tail.stderr, /enhanced fan-out/);
});

test('create-table creates the table and running it again succeeds', async (t) => {
  const table = uniqueName('made').slice(0, 60);
  const args = ['create-table', '--table', table];
  const first = await runCli(args, env(t));
  t.is(first.code, 0, first.stderr);
  t.regex(first.stdout, new RegExp(`^table "${table}" is ACTIVE \\(region us-east-1, endpoint ${t.context.dynamo.endpoint}\\)\\n$`));
  const again = await runCli(args, env(t));
  t.is(again.code, 0, again.stderr);
  t.is(again.stdout, first.stdout);
  // and the table is a usable state store
  await t.notThrowsAsync(new DynamoDBStateStore({ table, endpoint: t.context.dynamo.endpoint, ...localAws }).ready());
});

test('create-table on an existing table with another schema fails and says what is wrong', async (t) => {
  const table = uniqueName('wrong').slice(0, 60);
  await localDynamoClient(t.context.dynamo.endpoint).send(
    new CreateTableCommand({
      TableName: table,
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  const result = await runCli(['create-table', '--table', table], env(t));
  t.is(result.code, 1);
  t.regex(oneLine(t, result), new RegExp(`^kinesumer: .*table "${table}".* does not have kinesumer's state-store schema`));
});

test('a missing table: tail and status say so, name the table and the command that creates it, exit 1', async (t) => {
  const name = await stream(t, 1);
  for (const args of [
    ['tail', '--app', 'a', '--stream', name, '--table', 'no-such-table'],
    ['status', '--app', 'a', '--table', 'no-such-table'],
  ]) {
    const result = await runCli(args, env(t));
    t.is(result.code, 1, args[0]);
    t.is(
      oneLine(t, result),
      `kinesumer: state-store table "no-such-table" was not found (region us-east-1, endpoint ${t.context.dynamo.endpoint}); ` +
        'create it with: kinesumer create-table --table no-such-table',
    );
  }
});

test('a missing stream: tail says which, and where it looked, and exits 1', async (t) => {
  const name = await stream(t, 1);
  const result = await runCli(['tail', '--app', 'a', '--stream', name, '--stream', 'no-such-stream', '--table', TABLE], env(t));
  t.is(result.code, 1);
  t.is(oneLine(t, result), `kinesumer: Kinesis stream "no-such-stream" was not found (region us-east-1, endpoint ${t.context.kinesis.endpoint})`);
});

test('an unreachable endpoint: one line naming it, exit 1, within seconds', async (t) => {
  const port = await freePort(); // nothing listens there
  const dead = `http://127.0.0.1:${port}`;
  const timed = async (args: string[], environment: NodeJS.ProcessEnv) => {
    const started = Date.now();
    const result = await runCli(args, environment);
    // runCli kills a command after 30 s; a tsx start alone can take seconds on a busy machine
    t.true(Date.now() - started < 25_000, `${args.join(' ')} gave up in seconds, not after a long hang`);
    t.is(result.code, 1);
    return oneLine(t, result);
  };
  t.regex(
    await timed(['tail', '--app', 'a', '--stream', 's', '--table', TABLE], cliEnv({ kinesis: t.context.kinesis.endpoint, dynamodb: dead })),
    new RegExp(`^kinesumer: cannot reach DynamoDB \\(region us-east-1, endpoint ${dead}\\): .*ECONNREFUSED`),
  );
  t.regex(
    await timed(['status', '--app', 'a', '--dynamodb-endpoint', dead], cliEnv()),
    new RegExp(`^kinesumer: cannot reach DynamoDB \\(region us-east-1, endpoint ${dead}\\): .*ECONNREFUSED`),
  );
  t.regex(
    await timed(['tail', '--app', 'a', '--stream', 's', '--table', TABLE, '--kinesis-endpoint', dead], env(t)),
    new RegExp(`^kinesumer: cannot reach Kinesis \\(region us-east-1, endpoint ${dead}\\): .*ECONNREFUSED`),
  );
});

test('bad flags: one line on stderr, no stack, exit 2', async (t) => {
  const cases: [string[], RegExp][] = [
    [['tail', '--app', 'a', '--stream', 's', '--bogus'], /^kinesumer: unknown option --bogus for tail \(see kinesumer tail --help\)$/],
    [['tail', '--stream', 's'], /^kinesumer: --app APP is required/],
    [['tail', '--app', 'a', '--stream', 's', '--from', 'soon'], /^kinesumer: --from "soon" must be/],
    [['tail', '--app', 'a', '--stream', 's', '--sync-interval', '3000', '--client-timeout', '2000'], /^kinesumer: Invalid value 2000 for --client-timeout - Expected more than --sync-interval \(3000\)/],
    [['status'], /^kinesumer: --app APP is required/],
    [['launch'], /^kinesumer: unknown command "launch"/],
  ];
  const results = await Promise.all(cases.map(([args]) => runCli(args, env(t))));
  cases.forEach(([args, message], i) => {
    const result = results[i]!;
    t.is(result.code, 2, args.join(' '));
    t.regex(oneLine(t, result), message);
  });
});

test('--debug adds the stack trace to the one-line message', async (t) => {
  const result = await runCli(['status', '--app', 'a', '--table', 'no-such-table', '--debug'], env(t));
  t.is(result.code, 1);
  const [first, ...rest] = result.stderr.split('\n');
  t.regex(first!, /^kinesumer: state-store table "no-such-table" was not found/);
  t.true(hasStack(rest.join('\n')), result.stderr);
  t.regex(result.stderr, /caused by: ResourceNotFoundException/);
});

test('--help prints the usage on stdout and exits 0', async (t) => {
  const result = await runCli(['tail', '--help'], cliEnv());
  t.is(result.code, 0);
  t.regex(result.stdout, /^kinesumer tail: /);
  t.regex(result.stdout, /--kinesis-endpoint URL/);
  t.is(result.stderr, '');
});
