/**
 * End to end on the emulators: kinesis-local + dynalite, 8 shards, 20,000 preloaded records of
 * about 100 bytes; one rx-kinesumer client from TRIM_HORIZON with auto-commit until every record
 * was delivered, against a plain GetShardIterator + GetRecords(Limit 10000) loop. Each side runs
 * in its own child process (so its CPU and memory are its own), alternately, 9 times
 * (BENCH_RUNS); medians.
 * Both sides make one call with each of their SDK clients before the clock starts, so the SDK's
 * lazy module loading is not counted as per-record cost on either side.
 *
 *   npm run bench -- end-to-end      (writes .bench/end-to-end.json)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { createStateTable } from '../src/state-store/dynamodb/create-table.js';
import { createStream, localDynamoClient, localKinesisClient } from '../spec/helpers/aws-fixtures.js';
import { startDynalite, startKinesisLocal } from '../spec/helpers/emulators.js';

const RECORDS = Number(process.env['BENCH_RECORDS'] ?? 20_000);
const SHARDS = 8;
// Alternating runs; the median. Run-to-run spread on a 2-core machine that also runs both emulators
// is about +-15% of CPU, so fewer runs cannot tell 1.05x from 1.15x.
const RUNS = Number(process.env['BENCH_RUNS'] ?? 9);
const here = fileURLToPath(new URL('.', import.meta.url));

interface Run {
  records: number;
  wallMs: number;
  cpuUs: number;
  peakRss: number;
}

// The consumer child runs the compiled library (see e2e/consumer.ts): build it from this src/.
const build = spawnSync('npm', ['run', 'build'], { encoding: 'utf8' });
if (build.status !== 0) throw new Error(`npm run build failed: ${build.stdout}${build.stderr}`);

const [kinesisLocal, dynalite] = await Promise.all([startKinesisLocal(), startDynalite()]);
try {
  const kinesis = localKinesisClient(kinesisLocal.endpoint);
  await createStream(kinesis, 'bench', SHARDS);
  await createStateTable(localDynamoClient(dynalite.endpoint), 'bench-state');
  // preload: batches of 500, several in parallel, ~100-byte payloads spread over all shards
  const t0 = Date.now();
  const batches = Array.from({ length: RECORDS / 500 }, (_, b) =>
    Array.from({ length: 500 }, (_, i) => ({
      Data: Buffer.from(`record-${b * 500 + i}-`.padEnd(100, 'x')),
      PartitionKey: `key-${(b * 500 + i) % 1000}`,
    })),
  );
  for (let i = 0; i < batches.length; i += 4) {
    await Promise.all(batches.slice(i, i + 4).map((Records) => kinesis.send(new PutRecordsCommand({ StreamName: 'bench', Records }))));
  }
  console.log(`preloaded ${RECORDS} records into ${SHARDS} shards in ${Date.now() - t0} ms`);

  const run = (script: string, extra: Record<string, string>): Run => {
    // BENCH_PROFILE=1: each child writes a CPU profile of its measured window to .bench/prof (see
    // e2e/window-profile.ts); the figures of such a run are slowed by the profiler.
    const out = spawnSync(process.execPath, ['--no-warnings', '--import', 'tsx', `${here}e2e/${script}.ts`], {
      env: { ...process.env, KINESIS_ENDPOINT: kinesisLocal.endpoint, DYNAMODB_ENDPOINT: dynalite.endpoint, STREAM: 'bench', EXPECTED: String(RECORDS), TABLE: 'bench-state', ...extra },
      encoding: 'utf8',
    });
    if (out.status !== 0) throw new Error(`${script} failed: ${out.stderr}`);
    return JSON.parse(out.stdout.trim().split('\n').pop()!) as Run;
  };
  const baseline: Run[] = [];
  const consumer: Run[] = [];
  for (let i = 0; i < RUNS; i++) {
    baseline.push(run('baseline', {}));
    consumer.push(run('consumer', { APP: `bench-${i}` }));
  }
  const median = (runs: Run[], pick: (r: Run) => number) => runs.map(pick).sort((a, b) => a - b)[Math.floor(runs.length / 2)]!;
  const row = (name: string, runs: Run[]) => ({
    name,
    wallMs: Math.round(median(runs, (r) => r.wallMs)),
    cpuNsPerRecord: Math.round((median(runs, (r) => r.cpuUs) * 1000) / RECORDS),
    peakRssMb: +(median(runs, (r) => r.peakRss) / 2 ** 20).toFixed(1),
  });
  const b = row('baseline loop', baseline);
  const c = row('rx-kinesumer', consumer);
  const ratios = {
    wall: +(c.wallMs / b.wallMs).toFixed(2),
    cpuPerRecord: +(c.cpuNsPerRecord / b.cpuNsPerRecord).toFixed(2),
    rssDeltaMb: +(c.peakRssMb - b.peakRssMb).toFixed(1),
  };
  console.log(`\nend to end: ${RECORDS} records, ${SHARDS} shards, median of ${RUNS} alternating runs\n`);
  console.log('side                 wall ms   CPU ns/record   peak RSS MB');
  for (const r of [b, c]) console.log(`${r.name.padEnd(18)}${String(r.wallMs).padStart(10)}${String(r.cpuNsPerRecord).padStart(16)}${String(r.peakRssMb).padStart(14)}`);
  const cpuMs = (runs: Run[]) => runs.map((r) => Math.round(r.cpuUs / 1000)).join(' ');
  console.log(`\nCPU ms of each run: baseline ${cpuMs(baseline)}; rx-kinesumer ${cpuMs(consumer)}`);
  console.log(`ratios: wall ${ratios.wall}x (target <= 1.05), CPU per record ${ratios.cpuPerRecord}x (target <= 1.10), peak RSS ${ratios.rssDeltaMb >= 0 ? '+' : ''}${ratios.rssDeltaMb} MB (target <= +15)`);
  mkdirSync('.bench', { recursive: true });
  writeFileSync('.bench/end-to-end.json', JSON.stringify({ when: new Date().toISOString(), records: RECORDS, shards: SHARDS, baseline: b, consumer: c, ratios, runs: { baseline, consumer } }, null, 2));
} finally {
  await Promise.all([kinesisLocal.stop(), dynalite.stop()]);
}
