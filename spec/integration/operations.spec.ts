/**
 * Operating a running group, with members as processes on kinesis-local and dynalite: pause and
 * resume, the lag fields `kinesumer status --json` shows, and a stalled shard named with its
 * reason. (Seeking is in seek.spec.ts.)
 */
import anyTest, { type TestFn } from 'ava';
import type { GroupStatus } from '../../src/cli/group-status.js';
import { DynamoDBStateStore } from '../../src/state-store/dynamodb/dynamodb-state-store.js';
import { StatusWatch, cliEnv, runCli } from '../cli/cli-process.js';
import { createStream, localKinesisClient, putRecords, uniqueName, waitFor } from '../helpers/aws-fixtures.js';
import { localAws } from '../helpers/emulators.js';
import { MemberProcess, type MemberOptions, type Processed } from '../helpers/member-fleet.js';
import { withEmulators, type EmulatorContext } from '../helpers/with-emulators.js';

const test = anyTest as TestFn<EmulatorContext>;
const TABLE = 'ops-state';
withEmulators(test, TABLE);

const FAST = { syncInterval: 500, clientTimeout: 2000, commitInterval: 500, idleInterval: 200 };

function options(t: { context: EmulatorContext }, app: string, stream: string, extra: Partial<MemberOptions> = {}): MemberOptions {
  return { app, stream, table: TABLE, kinesisEndpoint: t.context.kinesis.endpoint, dynamoEndpoint: t.context.dynamo.endpoint, ...FAST, ...extra };
}

/** `kinesumer status --json` of the app. */
async function status(t: { context: EmulatorContext }, app: string): Promise<GroupStatus> {
  const result = await runCli(['status', '--app', app, '--table', TABLE, '--client-timeout', '2000', '--json'], cliEnv({ dynamodb: t.context.dynamo.endpoint }));
  if (result.code !== 0) throw new Error(`status failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout) as GroupStatus;
}

/** Polls the status until `done` says so; returns every status seen. */
async function statusUntil(t: { context: EmulatorContext }, app: string, done: (s: GroupStatus, seen: GroupStatus[]) => boolean, timeoutMs: number, what: string): Promise<GroupStatus[]> {
  const seen: GroupStatus[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await status(t, app);
    seen.push(s);
    if (done(s, seen)) return seen;
    if (Date.now() > deadline) {
      const trail = seen.map((x) => x.streams[0]?.shards.map((sh) => [sh.status, sh.lagMs, sh.inFlight, sh.lastRecordAgeMs]));
      throw new Error(`timed out waiting for ${what}; last status: ${JSON.stringify(s.streams[0]?.shards)}; seen: ${JSON.stringify(trail)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

function stopAll(t: { teardown: (fn: () => Promise<void>) => void }, ...members: MemberProcess[]): void {
  t.teardown(async () => {
    await Promise.all(members.map((m) => m.kill()));
  });
}

test.serial('pause() stops one member reading its shards while the other goes on, resume() continues: every record once', async (t) => {
  const kinesis = localKinesisClient(t.context.kinesis.endpoint);
  const stream = uniqueName('pause');
  await createStream(kinesis, stream, 4);
  const app = uniqueName('pause-app');
  const sink: Processed[] = [];
  const a = new MemberProcess('a', options(t, app, stream), sink);
  const b = new MemberProcess('b', options(t, app, stream), sink);
  stopAll(t, a, b);
  const first = await putRecords(kinesis, stream, 'first', 200);
  await waitFor(() => first.every((p) => sink.some((r) => r.data === p)), 30_000, 'the first records');
  await statusUntil(t, app, (s) => s.streams[0]!.shards.every((sh) => sh.owner !== null) && new Set(s.streams[0]!.shards.map((sh) => sh.owner)).size === 2, 20_000, 'both members holding shards');

  // when a pauses everything and records arrive on every shard
  t.deepEqual(await a.send({ pause: [] }), { ack: 'pause' });
  const pausedAt = Date.now();
  const during = await putRecords(kinesis, stream, 'during', 200);
  // then a's shards say paused in status, b reads its own shards' records, a prints none of the new ones
  const paused = await statusUntil(t, app, (s) => s.streams[0]!.shards.filter((sh) => sh.owner === 'a').every((sh) => sh.status === 'paused'), 10_000, "a's shards paused");
  const aShards = new Set(paused.at(-1)!.streams[0]!.shards.filter((sh) => sh.owner === 'a').map((sh) => sh.shardId));
  t.true(aShards.size > 0);
  t.true(paused.at(-1)!.streams[0]!.shards.filter((sh) => sh.owner === 'a').every((sh) => sh.reason === 'paused by its owner (consumer.pause())'));
  await waitFor(() => during.filter((p) => !sink.some((r) => r.data === p)).length > 0 && sink.filter((r) => r.member === 'b' && r.data.startsWith('during')).length > 0, 15_000, "b's share");
  await new Promise((r) => setTimeout(r, 2000));
  t.deepEqual(sink.filter((r) => r.member === 'a' && r.t > pausedAt + 300 && r.data.startsWith('during')).map((r) => r.data), [], 'a delivered nothing while paused');
  const owners = (await status(t, app)).streams[0]!.shards.filter((sh) => sh.owner === 'a').map((sh) => sh.shardId);
  t.deepEqual(new Set(owners), aShards, 'a still holds its shards (heartbeats went on)');

  // when a resumes
  t.deepEqual(await a.send({ resume: [] }), { ack: 'resume' });
  await waitFor(() => during.every((p) => sink.some((r) => r.data === p)), 20_000, 'the records put while paused');
  await a.stop();
  await b.stop();
  const delivered = sink.map((r) => r.data);
  t.deepEqual([...new Set(delivered)].sort(), [...first, ...during].sort(), 'nothing lost');
  t.is(delivered.length, new Set(delivered).size, 'nothing delivered twice');
});

test.serial('status --watch --json: the lag fields of a slow member grow as it falls behind a burst and go back to zero as it catches up', async (t) => {
  const kinesis = localKinesisClient(t.context.kinesis.endpoint);
  const stream = uniqueName('lag');
  await createStream(kinesis, stream, 1);
  const app = uniqueName('lag-app');
  const sink: Processed[] = [];
  // 20 ms per record, at most 40 in flight: a burst of 300 records takes it about 6 s
  const slow = new MemberProcess('slow', options(t, app, stream, { delayMs: 20, maxInFlight: 40 }), sink);
  const watch = new StatusWatch<GroupStatus>(['--app', app, '--table', TABLE, '--client-timeout', '2000', '--interval', '200'], cliEnv({ dynamodb: t.context.dynamo.endpoint }));
  stopAll(t, slow);
  t.teardown(() => void watch.child.kill('SIGKILL'));
  const shard = (s: GroupStatus) => s.streams[0]?.shards[0];
  await watch.until((s) => shard(s)?.owner === 'slow', 20_000, 'the member holding the shard');
  // records put over about 1.5 s, so that pages that do not reach the tip are behind it
  const written: string[] = [];
  for (let i = 0; i < 15; i++) {
    written.push(...(await putRecords(kinesis, stream, `burst${i}`, 20)));
    await new Promise((r) => setTimeout(r, 100));
  }
  const seen = await watch.until(
    (s, all) => sink.length >= written.length && all.some((x) => (shard(x)?.lagMs ?? 0) > 0) && shard(s)!.lagMs === 0 && shard(s)!.inFlight === 0,
    40_000,
    'the member to fall behind and catch up',
  );
  t.is(await watch.stop(), 0, 'Ctrl-C ends the watch with exit 0');
  const trail = seen.map(shard).filter((s) => s?.owner === 'slow').map((s) => s!);
  const peak = trail.findIndex((s) => (s.lagMs ?? 0) > 0);
  t.true(peak >= 0, `behind at some point: ${JSON.stringify(trail.map((s) => [s.lagMs, s.inFlight, s.lastRecordAgeMs]))}`);
  t.true(trail.some((s) => (s.inFlight ?? 0) > 0), 'records in flight while behind');
  t.true(trail.every((s) => s.inFlight === null || s.inFlight <= 40 + 20), 'in flight stays near the bound');
  t.true(trail.slice(peak).some((s) => s.status === 'backpressure'), 'held back by backpressure while behind');
  const last = seen.at(-1)!.streams[0]!;
  t.is(last.shards[0]!.lagMs, 0);
  t.is(last.shards[0]!.inFlight, 0);
  t.true(last.shards[0]!.lastRecordAgeMs !== null && last.shards[0]!.lastRecordAgeMs >= 0);
  t.deepEqual(last.total, { lagMs: 0, lastRecordAgeMs: last.shards[0]!.lastRecordAgeMs, inFlight: 0, statuses: { reading: 1 } });
  t.is(new Set(sink.map((r) => r.data)).size, written.length);
});

test.serial('a checkpoint Kinesis rejects: the owner reports the shard stalled and status names it with the code', async (t) => {
  const kinesis = localKinesisClient(t.context.kinesis.endpoint);
  const stream = uniqueName('stall');
  await createStream(kinesis, stream, 2);
  const app = uniqueName('stall-app');
  await putRecords(kinesis, stream, 'r', 40);
  // given a checkpoint of shard 1 that is a sequence number of no record of it (after the shard's
  // start: one before it would be taken for an older stream's and ignored)
  const store = new DynamoDBStateStore({ table: TABLE, endpoint: t.context.dynamo.endpoint, ...localAws });
  await store.updateCheckpoints(app, stream, [{ shardId: 'shardId-000000000001', sequenceNumber: '49999999999999999999999999999999999999999999999999999999', lastUpdate: new Date() }]);
  const sink: Processed[] = [];
  const member = new MemberProcess('m', options(t, app, stream, { stallTimeout: 1500 }), sink);
  stopAll(t, member);
  const seen = await statusUntil(t, app, (s) => s.streams[0]?.shards.find((sh) => sh.shardId === 'shardId-000000000001')?.status === 'checkpointRejected', 20_000, 'the rejected checkpoint in status');
  const shards = seen.at(-1)!.streams[0]!.shards;
  t.like(shards.find((sh) => sh.shardId === 'shardId-000000000001'), {
    owner: 'm',
    status: 'checkpointRejected',
    reason: 'checkpoint rejected by Kinesis (ResourceNotFoundException)',
  });
  t.like(shards.find((sh) => sh.shardId === 'shardId-000000000000'), { status: 'reading' }, 'the other shard reads on');
  await waitFor(() => /\[SHARD_STALLED\] Shard shardId-000000000001 of stream "[^"]+" is stalled: never read successfully, and nothing delivered for \d+ ms \(its Kinesis calls fail: ResourceNotFoundException\)/.test(member.stderr), 10_000, 'the stall report');
  t.is(sink.filter((r) => r.shard === 'shardId-000000000001').length, 0, 'nothing read from the rejected position');
  // the table form names it too
  const table = await runCli(['status', '--app', app, '--table', TABLE, '--client-timeout', '2000'], cliEnv({ dynamodb: t.context.dynamo.endpoint }));
  t.regex(table.stdout, /^shardId-000000000001\s+open\s+m\s.*checkpoint rejected by Kinesis \(ResourceNotFoundException\)$/m);
  t.regex(table.stdout, /^total: lag .*; 1 reading, 1 checkpointRejected$/m);
  await member.stop();
});
