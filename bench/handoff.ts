/**
 * Handoff figures with the DEFAULT group timings (syncInterval 5 s, clientTimeout 10 s), members
 * as real processes on kinesis-local and dynalite:
 *  1. SIGKILL one of three members: time until every orphaned shard delivers again, lost, repeated.
 *  2. Graceful close (SIGTERM) of one of three: the same.
 *  3. A split while consuming: the gap between the parent's last delivered record and the first
 *     delivered record of a child.
 *
 *   npm run bench -- handoff      (about 2 minutes; writes .bench/handoff.json)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { ListShardsCommand, SplitShardCommand } from '@aws-sdk/client-kinesis';
import { createStateTable } from '../src/state-store/dynamodb/create-table.js';
import { createStream, localDynamoClient, localKinesisClient, putRecords, uniqueName, waitFor } from '../spec/helpers/aws-fixtures.js';
import { startDynalite, startKinesisLocal } from '../spec/helpers/emulators.js';
import { MemberProcess, type MemberOptions, type Processed } from '../spec/helpers/member-fleet.js';

const [kinesisLocal, dynalite] = await Promise.all([startKinesisLocal(), startDynalite()]);
const kinesis = localKinesisClient(kinesisLocal.endpoint);
await createStateTable(localDynamoClient(dynalite.endpoint), 'bench-state');

interface Row {
  scenario: string;
  recoveryMs: number;
  written: number;
  lost: number;
  duplicates: number;
}
const rows: Row[] = [];

function producer(stream: string, prefix: string) {
  const written: string[] = [];
  let running = true;
  let n = 0;
  const loop = (async () => {
    while (running) {
      written.push(...(await putRecords(kinesis, stream, `${prefix}${n++}`, 20)));
      await new Promise((r) => setTimeout(r, 100)); // about 200 records a second
    }
  })();
  return { written, stop: async () => ((running = false), await loop) };
}

function tally(written: string[], processed: Processed[]) {
  const seen = new Set(processed.map((p) => p.data));
  return { lost: written.filter((w) => !seen.has(w)).length, duplicates: processed.length - seen.size };
}

async function memberLoss(scenario: 'SIGKILL' | 'graceful close'): Promise<void> {
  const stream = uniqueName('bench');
  await createStream(kinesis, stream, 6);
  const options: MemberOptions = {
    app: uniqueName('app'),
    stream,
    table: 'bench-state',
    kinesisEndpoint: kinesisLocal.endpoint,
    dynamoEndpoint: dynalite.endpoint,
  };
  const processed: Processed[] = [];
  const members = ['m1', 'm2', 'm3'].map((id) => new MemberProcess(id, options, processed));
  const load = producer(stream, 'x');
  try {
    const shardsOf = (member: string, since: number) => new Set(processed.filter((p) => p.member === member && p.t >= since).map((p) => p.shard));
    await waitFor(() => members.every((m) => shardsOf(m.id, Date.now() - 2000).size === 2), 60_000, 'a 2/2/2 split');
    const orphans = [...shardsOf('m2', Date.now() - 2000)];
    const at = Date.now();
    if (scenario === 'SIGKILL') await members[1]!.kill();
    else await members[1]!.stop();
    await waitFor(() => orphans.every((s) => processed.some((p) => p.member !== 'm2' && p.shard === s && p.t > at)), 60_000, 'takeover');
    const recoveryMs = Math.max(...orphans.map((s) => processed.find((p) => p.member !== 'm2' && p.shard === s && p.t > at)!.t - at));
    await new Promise((r) => setTimeout(r, 2000));
    await load.stop();
    await waitFor(() => tally(load.written, processed).lost === 0, 30_000, 'every record').catch(() => undefined);
    rows.push({ scenario: `${scenario} of 1 of 3`, recoveryMs, written: load.written.length, ...tally(load.written, processed) });
    if (process.env['BENCH_DUMP']) writeFileSync(`${process.env['BENCH_DUMP']}-${scenario.replace(' ', '-')}.json`, JSON.stringify({ at, processed }));
  } finally {
    await load.stop();
    await Promise.all(members.map((m) => m.stop()));
  }
}

async function splitGap(): Promise<void> {
  const stream = uniqueName('split');
  await createStream(kinesis, stream, 1);
  const options: MemberOptions = {
    app: uniqueName('app'),
    stream,
    table: 'bench-state',
    kinesisEndpoint: kinesisLocal.endpoint,
    dynamoEndpoint: dynalite.endpoint,
  };
  const processed: Processed[] = [];
  const members = ['s1', 's2'].map((id) => new MemberProcess(id, options, processed));
  const load = producer(stream, 'y');
  try {
    await waitFor(() => processed.length > 50, 60_000, 'records');
    const [parent] = (await kinesis.send(new ListShardsCommand({ StreamName: stream }))).Shards!;
    const mid = (BigInt(parent!.HashKeyRange!.EndingHashKey!) / 2n).toString();
    await kinesis.send(new SplitShardCommand({ StreamName: stream, ShardToSplit: parent!.ShardId, NewStartingHashKey: mid }));
    await waitFor(() => processed.some((p) => p.shard !== parent!.ShardId), 60_000, 'a child record');
    await new Promise((r) => setTimeout(r, 1000));
    await load.stop();
    const lastParent = Math.max(...processed.filter((p) => p.shard === parent!.ShardId).map((p) => p.t));
    const firstChild = Math.min(...processed.filter((p) => p.shard !== parent!.ShardId).map((p) => p.t));
    await waitFor(() => tally(load.written, processed).lost === 0, 30_000, 'every record').catch(() => undefined);
    rows.push({ scenario: 'split: parent last -> child first', recoveryMs: firstChild - lastParent, written: load.written.length, ...tally(load.written, processed) });
  } finally {
    await load.stop();
    await Promise.all(members.map((m) => m.stop()));
  }
}

const only = process.env['BENCH_ONLY'];
try {
  if (!only || only === 'kill') await memberLoss('SIGKILL');
  if (!only || only === 'close') await memberLoss('graceful close');
  if (!only || only === 'split') await splitGap();
  console.log('\nhandoff with default timings (syncInterval 5000 ms, clientTimeout 10000 ms)\n');
  console.log('scenario                              recovery ms   written   lost   duplicates');
  for (const r of rows) {
    console.log(`${r.scenario.padEnd(38)}${String(r.recoveryMs).padStart(11)}${String(r.written).padStart(10)}${String(r.lost).padStart(7)}${String(r.duplicates).padStart(13)}`);
  }
  mkdirSync('.bench', { recursive: true });
  writeFileSync('.bench/handoff.json', JSON.stringify({ when: new Date().toISOString(), rows }, null, 2));
} finally {
  await Promise.all([kinesisLocal.stop(), dynalite.stop()]);
}
