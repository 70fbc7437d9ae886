/**
 * The time from a seek to the first replayed record of every shard, members as real processes on
 * kinesis-local and dynalite: three members on a 6-shard stream under about 200 records a second,
 * sought back 3 s (with `seekGroup`, as `kinesumer seek` does), three times, with the default
 * timings (syncInterval 5 s) and with syncInterval 1 s.
 *
 *   npm run bench -- seek      (about 3 minutes; writes .bench/seek.json)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { seekGroup } from '../src/group/seek-group.js';
import { createStateTable } from '../src/state-store/dynamodb/create-table.js';
import { createStream, localDynamoClient, localKinesisClient, putRecords, uniqueName, waitFor } from '../spec/helpers/aws-fixtures.js';
import { localAws, startDynalite, startKinesisLocal } from '../spec/helpers/emulators.js';
import { MemberProcess, type MemberOptions, type Processed } from '../spec/helpers/member-fleet.js';

const [kinesisLocal, dynalite] = await Promise.all([startKinesisLocal(), startDynalite()]);
const kinesis = localKinesisClient(kinesisLocal.endpoint);
await createStateTable(localDynamoClient(dynalite.endpoint), 'bench-seek');

interface Run {
  syncInterval: number;
  /** ms from the seek's return to each shard's first replayed record, by shard. */
  firstReplayMs: Record<string, number>;
}
const runs: Run[] = [];

async function scenario(syncInterval: number, seeks: number): Promise<void> {
  const stream = uniqueName('seek');
  await createStream(kinesis, stream, 6);
  const app = uniqueName('app');
  const options: MemberOptions = {
    app,
    stream,
    table: 'bench-seek',
    kinesisEndpoint: kinesisLocal.endpoint,
    dynamoEndpoint: dynalite.endpoint,
    ...(syncInterval === 5000 ? {} : { syncInterval, clientTimeout: 3 * syncInterval, commitInterval: syncInterval }),
  };
  const processed: Processed[] = [];
  const members = ['m1', 'm2', 'm3'].map((id) => new MemberProcess(id, options, processed));
  let running = true;
  let n = 0;
  const load = (async () => {
    while (running) {
      await putRecords(kinesis, stream, `r${n++}`, 20);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  try {
    const shardsOf = (member: string, since: number) => new Set(processed.filter((p) => p.member === member && p.t >= since).map((p) => p.shard));
    await waitFor(() => members.every((m) => shardsOf(m.id, Date.now() - 2 * syncInterval).size === 2), 120_000, 'a 2/2/2 split');
    for (let i = 0; i < seeks; i++) {
      await new Promise((r) => setTimeout(r, 4000));
      const to = new Date(Date.now() - 3000);
      const seen = new Set(processed.map((p) => p.data));
      await seekGroup(
        { app, stateStore: { table: 'bench-seek', endpoint: dynalite.endpoint, ...localAws }, kinesis: { endpoint: kinesisLocal.endpoint, ...localAws, http1: true } },
        stream,
        to,
      );
      const at = Date.now();
      // a replayed record: one delivered before the seek, delivered again after it
      const first = () => {
        const out = new Map<string, number>();
        for (const p of processed) if (p.t >= at && seen.has(p.data) && !out.has(p.shard)) out.set(p.shard, p.t - at);
        return out;
      };
      await waitFor(() => first().size === 6, 120_000, 'a replayed record on every shard');
      runs.push({ syncInterval, firstReplayMs: Object.fromEntries([...first()].sort()) });
    }
  } finally {
    running = false;
    await load;
    await Promise.all(members.map((m) => m.stop()));
  }
}

try {
  await scenario(5000, 3);
  await scenario(1000, 3);
  console.log('\nms from the seek to the first replayed record, per shard (3 members, 6 shards, ~200 records/s)\n');
  for (const run of runs) {
    const values = Object.values(run.firstReplayMs).sort((a, b) => a - b);
    console.log(`syncInterval ${String(run.syncInterval).padStart(4)}: ${values.map((v) => String(v).padStart(5)).join(' ')}   (max ${values.at(-1)})`);
  }
  mkdirSync('.bench', { recursive: true });
  writeFileSync('.bench/seek.json', JSON.stringify({ when: new Date().toISOString(), runs }, null, 2));
} finally {
  await Promise.all([kinesisLocal.stop(), dynalite.stop()]);
}
