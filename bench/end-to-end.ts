/**
 * End to end on the emulators: kinesis-local + dynalite, 8 shards, 20,000 preloaded records of
 * about 100 bytes (BENCH_RECORDS), read from TRIM_HORIZON by one client with auto-commit and
 * `checkpoint()` after a `map`, against a plain GetShardIterator + GetRecords(Limit 10000) loop.
 * Each side runs in a child process of its own on plain node (so its CPU and memory are its own;
 * see e2e/compile-children.ts); the sides take turns within each round, in a rotating order, for
 * BENCH_RUNS rounds (default 9; 0 runs only the long run); medians.
 *
 * Two windows (BENCH_WINDOWS, default `join,warm`):
 * - `join`: as a user's program starts. The window opens before the clients are created; the
 *   consumer runs with the library's defaults except `polling.scanLimit: 10000`, and joins the
 *   group inside the window. With EFO (BENCH_EFO=0 to leave out), `efo: true` on the same data.
 *   With BENCH_LIFION_DIR (a directory whose node_modules holds lifion-kinesis), lifion-kinesis
 *   in polling mode too. `raw loop + join requests` is the raw loop after the join's DynamoDB
 *   requests as plain SDK calls (e2e/dynamo-floor.ts): what the state store costs any consumer.
 *   BENCH_BEFORE_DIST=<dir> adds a build of another version of the library as a side (in the long run too).
 * - `warm`: the figure of earlier versions: both sides create their SDK clients and make one call
 *   before the window opens, and the consumer reads pages as big as the baseline's.
 *
 * Then the long run (e2e/live-run.ts, BENCH_LIVE_SECONDS, default 60; 0 leaves it out): CPU per
 * record at steady state on a live stream, every side reading the same records at once.
 *
 *   npm run bench -- end-to-end      (writes .bench/end-to-end.json)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { createStateTable } from '../src/state-store/dynamodb/create-table.js';
import { createStream, localDynamoClient, localKinesisClient } from '../spec/helpers/aws-fixtures.js';
import { startDynalite, startKinesisLocal } from '../spec/helpers/emulators.js';
import { compileChildren } from './e2e/compile-children.js';
import { liveRun, type LiveSide } from './e2e/live-run.js';
import type { Measured } from './e2e/measure.js';

const RECORDS = Number(process.env['BENCH_RECORDS'] ?? 20_000);
const SHARDS = 8;
// Rounds; the median. Each side's CPU varies by about 10-15% from run to run on a 2-core machine
// that also runs both emulators, so fewer rounds cannot tell 1.05x from 1.15x.
const RUNS = Number(process.env['BENCH_RUNS'] ?? 9);
const WINDOWS = (process.env['BENCH_WINDOWS'] ?? 'join,warm').split(',');
const LIFION = process.env['BENCH_LIFION_DIR'];
const BEFORE = process.env['BENCH_BEFORE_DIST'];
// The long run: a producer at LIVE_RATE records/s for LIVE_SECONDS (0 leaves it out), read by every side at once.
const LIVE_SECONDS = Number(process.env['BENCH_LIVE_SECONDS'] ?? 60);
const LIVE_RATE = Number(process.env['BENCH_LIVE_RATE'] ?? 300);

interface Side {
  name: string;
  script: string;
  env: Record<string, string>;
  /** The raw loop of the same window, which the ratios are taken against. */
  against?: string;
}

const sides: Side[] = [];
if (WINDOWS.includes('join')) {
  sides.push({ name: 'raw loop, with start', script: 'baseline', env: { WINDOW: 'join' } });
  sides.push({ name: 'rx-kinesumer, with join', script: 'consumer', env: { WINDOW: 'join' }, against: 'raw loop, with start' });
  // The same raw loop, after the join's DynamoDB requests as plain SDK calls: what the state store costs any consumer.
  sides.push({ name: 'raw loop + join requests', script: 'baseline', env: { WINDOW: 'join', DYNAMO_FLOOR: '1' }, against: 'raw loop, with start' });
  if (process.env['BENCH_EFO'] !== '0') sides.push({ name: 'rx-kinesumer efo, with join', script: 'consumer', env: { WINDOW: 'join', EFO: '1' }, against: 'raw loop, with start' });
  // BENCH_BEFORE_DIST: a build of another version of the library (of main, say), run as a side of its own.
  if (BEFORE) sides.push({ name: 'rx-kinesumer before, with join', script: 'consumer', env: { WINDOW: 'join', BENCH_DIST: BEFORE }, against: 'raw loop, with start' });
  if (LIFION) sides.push({ name: 'lifion-kinesis 1.3.3', script: 'lifion', env: { LIFION_DIR: LIFION }, against: 'raw loop, with start' });
}
if (WINDOWS.includes('warm')) {
  sides.push({ name: 'raw loop, warm', script: 'baseline', env: { WINDOW: 'warm' } });
  sides.push({ name: 'rx-kinesumer, warm', script: 'consumer', env: { WINDOW: 'warm' }, against: 'raw loop, warm' });
}

// The consumer child runs the compiled library (see e2e/consumer.ts): build it from this src/.
const build = spawnSync('npm', ['run', 'build'], { encoding: 'utf8' });
if (build.status !== 0) throw new Error(`npm run build failed: ${build.stdout}${build.stderr}`);
// The children run on plain node, as a service would (see e2e/compile-children.ts).
const children = await compileChildren();

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

  const run = (side: Side, round: number): Measured => {
    // BENCH_PROFILE=1: each child writes a CPU profile of its measured window to .bench/prof (see
    // e2e/window-profile.ts); the figures of such a run are slowed by the profiler.
    const out = spawnSync(process.execPath, ['--no-warnings', `${children}${side.script}.js`], {
      env: {
        ...process.env,
        KINESIS_ENDPOINT: kinesisLocal.endpoint,
        DYNAMODB_ENDPOINT: dynalite.endpoint,
        STREAM: 'bench',
        EXPECTED: String(RECORDS),
        TABLE: 'bench-state',
        APP: `bench-${side.script}-${round}-${sides.indexOf(side)}`,
        ...side.env,
      },
      encoding: 'utf8',
    });
    if (out.status !== 0) throw new Error(`${side.name} failed: ${out.stderr}`);
    return JSON.parse(out.stdout.trim().split('\n').pop()!) as Measured;
  };
  // lifion-kinesis creates its state table when it first starts: do that before the measured runs.
  if (LIFION) run({ name: 'lifion-kinesis (prepare)', script: 'lifion', env: { LIFION_DIR: LIFION, LIFION_PREPARE: '1' } }, -1);
  // BENCH_RUNS=0: the long run only.
  if (RUNS === 0) sides.length = 0;
  const runs = new Map<string, Measured[]>(sides.map((s) => [s.name, []]));
  for (let round = 0; round < RUNS; round++) {
    // Rotate the order, so that no side always runs right after another one.
    for (let i = 0; i < sides.length; i++) {
      const side = sides[(i + round) % sides.length]!;
      runs.get(side.name)!.push(run(side, round));
    }
  }

  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const range = (values: number[]) => `${Math.min(...values).toFixed(0)}-${Math.max(...values).toFixed(0)}`;
  const rows = sides.map((side) => {
    const r = runs.get(side.name)!;
    return {
      name: side.name,
      against: side.against,
      cpuMs: median(r.map((x) => x.cpuUs / 1000)),
      cpuRange: range(r.map((x) => x.cpuUs / 1000)),
      wallMs: median(r.map((x) => x.wallMs)),
      firstMs: r.every((x) => x.firstMs !== undefined) ? median(r.map((x) => x.firstMs!)) : undefined,
      peakRssMb: median(r.map((x) => x.peakRss / 2 ** 20)),
      startRssMb: median(r.map((x) => x.startRss / 2 ** 20)),
    };
  });
  const byName = new Map(rows.map((r) => [r.name, r]));
  console.log(`\nend to end: ${RECORDS} records, ${SHARDS} shards, medians of ${RUNS} rounds (sides in rotating order)\n`);
  console.log(`${'side'.padEnd(30)}${'CPU ms'.padStart(8)}${'(range)'.padStart(10)}${'ratio'.padStart(8)}${'wall ms'.padStart(9)}${'ratio'.padStart(8)}${'first ms'.padStart(10)}${'RSS MB'.padStart(8)}${'delta'.padStart(8)}${'at start'.padStart(10)}`);
  const report = rows.map((r) => {
    const base = r.against ? byName.get(r.against) : undefined;
    const ratios = base && {
      cpu: +(r.cpuMs / base.cpuMs).toFixed(2),
      wall: +(r.wallMs / base.wallMs).toFixed(2),
      rssDeltaMb: +(r.peakRssMb - base.peakRssMb).toFixed(1),
    };
    console.log(
      `${r.name.padEnd(30)}${r.cpuMs.toFixed(0).padStart(8)}${r.cpuRange.padStart(10)}${(ratios ? `${ratios.cpu}x` : '').padStart(8)}` +
        `${r.wallMs.toFixed(0).padStart(9)}${(ratios ? `${ratios.wall}x` : '').padStart(8)}${(r.firstMs?.toFixed(0) ?? '').padStart(10)}` +
        `${r.peakRssMb.toFixed(1).padStart(8)}${(ratios ? `${ratios.rssDeltaMb >= 0 ? '+' : ''}${ratios.rssDeltaMb}` : '').padStart(8)}${r.startRssMb.toFixed(1).padStart(10)}`,
    );
    return { ...r, ratios };
  });
  console.log('\ntargets against the raw loop of the same window: with the join CPU <= 1.10x, warm CPU <= 1.03x, peak RSS <= +10 MB, wall <= 1.0x');
  for (const side of sides) console.log(`CPU ms of each run, ${side.name}: ${runs.get(side.name)!.map((x) => Math.round(x.cpuUs / 1000)).join(' ')}`);
  for (const side of sides) {
    const codes = new Map<string, number>();
    for (const x of runs.get(side.name)!) for (const [code, n] of Object.entries(x.errors ?? {})) codes.set(code, (codes.get(code) ?? 0) + n);
    if (codes.size > 0) console.log(`reported on errors$ in all runs, ${side.name}: ${[...codes].map(([c, n]) => `${c} x${n}`).join(', ')}`);
  }

  let live: unknown;
  if (LIVE_SECONDS > 0) {
    const liveSides: LiveSide[] = [
      { name: 'raw loop', script: 'baseline', env: {} },
      { name: 'raw loop + group requests', script: 'baseline', env: { GROUP_FLOOR: '1' } },
      { name: 'rx-kinesumer', script: 'consumer', env: {} },
      ...(BEFORE ? [{ name: 'rx-kinesumer before', script: 'consumer', env: { BENCH_DIST: BEFORE } }] : []),
      ...(process.env['BENCH_EFO'] !== '0' ? [{ name: 'rx-kinesumer efo', script: 'consumer', env: { EFO: '1' } }] : []),
      ...(LIFION ? [{ name: 'lifion-kinesis 1.3.3', script: 'lifion', env: { LIFION_DIR: LIFION } }] : []),
    ];
    const { results, produced, producedPerSecond } = await liveRun({
      kinesis,
      env: { KINESIS_ENDPOINT: kinesisLocal.endpoint, DYNAMODB_ENDPOINT: dynalite.endpoint, TABLE: 'bench-state' },
      sides: liveSides,
      children,
      seconds: LIVE_SECONDS,
      rate: LIVE_RATE,
    });
    const nsPerRecord = (cpuUs: number, records: number) => (records === 0 ? NaN : (cpuUs * 1000) / records);
    const base = results[0]!;
    console.log(`\nlong run: a producer at ${producedPerSecond} records/s (${produced} in all) into 8 shards, every side reading at once from LATEST;`);
    console.log(`after a 10 s warm-up, ${base.slices.length} slices of 10 s\n`);
    console.log(`${'side'.padEnd(27)}${'records'.padStart(9)}${'CPU ms'.padStart(9)}${'ns/record'.padStart(11)}${'ratio'.padStart(8)}${'over raw ms/s'.padStart(15)}${'slice ratios (median, range)'.padStart(31)}${'RSS MB'.padStart(9)}`);
    const seconds = (base.slices.length * 10_000) / 1000;
    live = results.map((r) => {
      const records = r.slices.reduce((n, x) => n + x.records, 0);
      const cpuUs = r.slices.reduce((n, x) => n + x.cpuUs, 0);
      const baseRecords = base.slices.reduce((n, x) => n + x.records, 0);
      const baseCpu = base.slices.reduce((n, x) => n + x.cpuUs, 0);
      const ratio = +(nsPerRecord(cpuUs, records) / nsPerRecord(baseCpu, baseRecords)).toFixed(2);
      const sliceRatios = r.slices.map((x, i) => nsPerRecord(x.cpuUs, x.records) / nsPerRecord(base.slices[i]!.cpuUs, base.slices[i]!.records));
      const sorted = [...sliceRatios].sort((a, b) => a - b);
      const slices = `${sorted[Math.floor(sorted.length / 2)]!.toFixed(2)} (${sorted[0]!.toFixed(2)}-${sorted[sorted.length - 1]!.toFixed(2)})`;
      // CPU above the raw loop's for the same number of records, per second of the window
      const overRawMsPerS = +(((nsPerRecord(cpuUs, records) - nsPerRecord(baseCpu, baseRecords)) * records) / 1e6 / seconds).toFixed(2);
      console.log(
        `${r.name.padEnd(27)}${String(records).padStart(9)}${(cpuUs / 1000).toFixed(0).padStart(9)}${nsPerRecord(cpuUs, records).toFixed(0).padStart(11)}` +
          `${`${ratio}x`.padStart(8)}${overRawMsPerS.toFixed(2).padStart(15)}${slices.padStart(31)}${(r.peakRss / 2 ** 20).toFixed(1).padStart(9)}`,
      );
      return { name: r.name, records, cpuMs: cpuUs / 1000, nsPerRecord: nsPerRecord(cpuUs, records), ratio, overRawMsPerS, sliceRatios, peakRssMb: r.peakRss / 2 ** 20, slices: r.slices, requests: r.requests };
    });
    for (const r of results) {
      const kinds = Object.entries(r.requests);
      if (kinds.length > 0) console.log(`requests in the window, ${r.name}: ${kinds.map(([k, n]) => `${k} ${n}`).join(', ')}`);
    }
    console.log('target at steady state: CPU per record <= 1.03x the raw loop');
  }

  mkdirSync('.bench', { recursive: true });
  writeFileSync(
    '.bench/end-to-end.json',
    JSON.stringify({ when: new Date().toISOString(), records: RECORDS, shards: SHARDS, rounds: RUNS, rows: report, runs: Object.fromEntries(runs), live }, null, 2),
  );
} finally {
  await Promise.all([kinesisLocal.stop(), dynalite.stop()]);
}
