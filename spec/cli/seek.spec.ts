/**
 * `kinesumer seek` as a process against kinesis-local and dynalite: what it prints, what it
 * refuses and with which exit code, and that nothing changes unless it is confirmed.
 */
import anyTest, { type TestFn } from 'ava';
import { PassThrough } from 'node:stream';
import { confirm } from '../../src/cli/seek.js';
import { createStateTable } from '../../src/state-store/dynamodb/create-table.js';
import { DynamoDBStateStore } from '../../src/state-store/dynamodb/dynamodb-state-store.js';
import { createStream, localDynamoClient, localKinesisClient, putRecords, uniqueName } from '../helpers/aws-fixtures.js';
import { localAws, startDynalite, startKinesisLocal, type Emulator } from '../helpers/emulators.js';
import { cliEnv, hasStack, runCli } from './cli-process.js';

const test = anyTest as TestFn<{ kinesis: Emulator; dynamo: Emulator; stream: string }>;
const TABLE = 'seek-cli';

test.before(async (t) => {
  const [kinesis, dynamo] = await Promise.all([startKinesisLocal(), startDynalite()]);
  const stream = uniqueName('seekcli');
  t.context = { kinesis, dynamo, stream };
  await createStateTable(localDynamoClient(dynamo.endpoint), TABLE);
  await createStream(localKinesisClient(kinesis.endpoint), stream, 2);
});

test.after.always(async (t) => {
  await Promise.all([t.context.kinesis?.stop(), t.context.dynamo?.stop()]);
});

const env = (t: { context: { kinesis: Emulator; dynamo: Emulator } }) => cliEnv({ kinesis: t.context.kinesis.endpoint, dynamodb: t.context.dynamo.endpoint });
const seek = (t: { context: { kinesis: Emulator; dynamo: Emulator; stream: string } }, app: string, ...args: string[]) =>
  runCli(['seek', '--app', app, '--table', TABLE, '--stream', t.context.stream, ...args], env(t));
const states = (t: { context: { dynamo: Emulator; stream: string } }, app: string) =>
  new DynamoDBStateStore({ table: TABLE, endpoint: t.context.dynamo.endpoint, ...localAws }).listShardStates(app, t.context.stream);

test('without --yes and without a terminal it prints the plan, changes nothing and exits 3', async (t) => {
  const app = uniqueName('noyes');
  const result = await seek(t, app, '--to', 'trim_horizon');
  t.is(result.code, 3, result.stderr);
  t.regex(result.stdout, new RegExp(`^seek of app "${app}" in table "${TABLE}", stream "${t.context.stream}", to trim_horizon \\(the oldest record kept\\):$`, 'm'));
  t.regex(result.stdout, /^ {2}shardId-000000000000: no state -> read again from trim_horizon \(the oldest record kept\)$/m);
  t.regex(result.stdout, /^not applied: nothing was changed$/m);
  t.regex(result.stderr, /there is no terminal to confirm on; pass --yes/);
  t.deepEqual(await states(t, app), [], 'nothing written');
});

test('--yes applies it: every shard gets its target, and exits 0', async (t) => {
  const app = uniqueName('yes');
  const result = await seek(t, app, '--to', '2024-03-01T12:00:00Z', '--yes');
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, /^applied: 2 shards of "[^"]+" \(seek counters shardId-000000000000 1, shardId-000000000001 1\)$/m);
  t.deepEqual(
    (await states(t, app)).map((s) => [s.shardId, s.seek, s.seekTo]),
    [
      ['shardId-000000000000', 1, 'AT_TIMESTAMP:2024-03-01T12:00:00.000Z'],
      ['shardId-000000000001', 1, 'AT_TIMESTAMP:2024-03-01T12:00:00.000Z'],
    ],
  );
  // status shows it
  const status = await runCli(['status', '--app', app, '--table', TABLE, '--stream', t.context.stream, '--json'], env(t));
  t.deepEqual(
    (JSON.parse(status.stdout) as { streams: { shards: { seek: number; seekTo: string | null }[] }[] }).streams[0]!.shards.map((s) => [s.seek, s.seekTo]),
    [
      [1, 'AT_TIMESTAMP:2024-03-01T12:00:00.000Z'],
      [1, 'AT_TIMESTAMP:2024-03-01T12:00:00.000Z'],
    ],
  );
});

test('a sequence number of its shard is taken for that shard only; one of no record is refused with exit 2', async (t) => {
  const app = uniqueName('seq');
  // a record of shard 0 or 1
  const kinesis = localKinesisClient(t.context.kinesis.endpoint);
  await putRecords(kinesis, t.context.stream, 'r', 10);
  const { GetShardIteratorCommand, GetRecordsCommand } = await import('@aws-sdk/client-kinesis');
  const it = await kinesis.send(new GetShardIteratorCommand({ StreamName: t.context.stream, ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }));
  const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator }));
  const seq = page.Records?.[0]?.SequenceNumber;
  if (seq === undefined) return t.fail('shard 0 got no record');
  const ok = await seek(t, app, '--to', seq, '--shard', 'shardId-000000000000', '--yes');
  t.is(ok.code, 0, ok.stderr);
  t.deepEqual((await states(t, app)).map((s) => [s.shardId, s.seekTo]), [['shardId-000000000000', `AT_SEQUENCE_NUMBER:${seq}`]]);
  const bad = await seek(t, app, '--to', '49999999999999999999999999999999999999999999999999999999', '--shard', 'shardId-000000000001', '--yes');
  t.is(bad.code, 2);
  t.regex(bad.stderr, /^kinesumer: sequence number 4{1}9{55} is not a record of shard shardId-000000000001 of stream "[^"]+": /);
});

test('bad targets are refused with one line and exit 2: an unknown shard, a time in the future; a missing stream is exit 1', async (t) => {
  const app = uniqueName('bad');
  const unknown = await seek(t, app, '--to', 'latest', '--shard', 'shardId-000000000007', '--yes');
  t.is(unknown.code, 2);
  t.regex(unknown.stderr, /^kinesumer: shardId-000000000007 is not a shard of stream "[^"]+" \(its shards: shardId-000000000000, shardId-000000000001\)\n$/);
  t.false(hasStack(unknown.stderr));
  const future = await seek(t, app, '--to', '2999-01-01', '--yes');
  t.is(future.code, 2);
  t.regex(future.stderr, /2999-01-01T00:00:00.000Z is in the future .*; to skip what is there, seek to LATEST/);
  const missing = await runCli(['seek', '--app', app, '--table', TABLE, '--stream', 'no-such-stream', '--to', 'latest', '--yes'], env(t));
  t.is(missing.code, 1);
  t.regex(missing.stderr, /no-such-stream/);
  const usage = await runCli(['seek', '--app', app, '--stream', 's', '--to', 'soon'], env(t));
  t.is(usage.code, 2);
  t.deepEqual(await states(t, app), [], 'nothing written by any of them');
});

test('confirm() asks on a terminal and takes y or yes; anything else is no', async (t) => {
  const ask = async (answer: string) => {
    const input = Object.assign(new PassThrough(), { isTTY: true });
    const output = Object.assign(new PassThrough(), { isTTY: true });
    let asked = '';
    output.on('data', (chunk: Buffer) => (asked += chunk.toString()));
    const result = confirm({ input, output }, 'seek 2 shards? [y/N] ');
    input.write(`${answer}\n`);
    return { result: await result, asked };
  };
  const yes = await ask('y');
  t.true(yes.result);
  t.true(yes.asked.includes('seek 2 shards? [y/N] '), 'the question is asked on the terminal');
  t.is((await ask('YES')).result, true);
  t.is((await ask('')).result, false);
  t.is((await ask('nope')).result, false);
});
