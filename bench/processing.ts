/**
 * Processing throughput with a handler that waits 10 ms (simulated I/O, a setTimeout), on
 * kinesis-local + dynalite: 8 shards, 20,000 preloaded records over 200 partition keys, one
 * client from TRIM_HORIZON until every record was processed. Each side runs in a child process
 * of its own (this file, with BENCH_SIDE set), so its CPU is its own, with a fresh app (no
 * checkpoints). The window is what a user pays: it starts before the SDK clients and the consumer
 * are created, so it includes joining the group, and ends when the last record was processed.
 *
 *   (a) the README's first pattern: concatMap(handle) + checkpoint(consumer)
 *   (b) processRecords(consumer, handle): one record per shard at a time, shards in parallel
 *   (c) processRecords(consumer, handle, { concurrency: 64 }): order kept per partition key
 *   (d) mergeMap(handle, 64) + checkpoint(consumer): unordered, the unsafe upper bound
 *   (e) processBatches(consumer, handleBatch): one batch (a page) per shard, 10 ms per batch
 *
 * (a) does about 90 records a second, so 20,000 records would take almost 4 minutes: it is
 * measured over its first BENCH_SERIAL_RECORDS (3,000) records instead, join included, and its
 * throughput is those records over that window. Every side checks the order it kept: per
 * partition key, the handler's starts in sequence-number order and never two at once.
 *
 * CPU per record is given twice: over the whole window (join and SDK loading included, which
 * weigh more on a side measured over fewer records), and from the first processed record on
 * ("steady"), which compares the processing itself.
 *
 *   npm run bench -- processing      (about 2 minutes; writes .bench/processing.json)
 *   BENCH_RUNS=3 (runs of c, d and e; the median), BENCH_SERIAL_RECORDS=20000 to run (a) in full
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { concatMap, mergeMap, type Observable } from 'rxjs';
import { checkpoint, createKinesumer, processBatches, processRecords, type KinesumerRecord } from '../src/index.js';
import { silentLogger } from '../src/logger.js';
import { createStateTable } from '../src/state-store/dynamodb/create-table.js';
import { createStream, localDynamoClient, localKinesisClient } from '../spec/helpers/aws-fixtures.js';
import { localAws, startDynalite, startKinesisLocal } from '../spec/helpers/emulators.js';

const RECORDS = Number(process.env['BENCH_RECORDS'] ?? 20_000);
const SHARDS = 8;
const KEYS = 200;
const HANDLER_MS = 10;
const SERIAL_RECORDS = Number(process.env['BENCH_SERIAL_RECORDS'] ?? 3000);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);

type Side = 'a' | 'b' | 'c' | 'd' | 'e';
const SIDES: Record<Side, string> = {
  a: 'concatMap + checkpoint',
  b: 'processRecords (default)',
  c: 'processRecords (concurrency 64)',
  d: 'mergeMap(64) + checkpoint',
  e: 'processBatches (10 ms per batch)',
};

/** What one side's child prints. */
interface Run {
  side: Side;
  records: number;
  wallMs: number;
  /** From the window's start to the first processed record: joining the group and the first read. */
  firstMs: number;
  cpuUs: number;
  /** CPU from the first processed record to the last. */
  steadyCpuUs: number;
  batches: number;
  orderViolations: number;
  overlaps: number;
  peakRss: number;
}

if (process.env['BENCH_SIDE']) await side(process.env['BENCH_SIDE'] as Side);
else await main();

async function main(): Promise<void> {
  const [kinesisLocal, dynalite] = await Promise.all([startKinesisLocal(), startDynalite()]);
  try {
    const kinesis = localKinesisClient(kinesisLocal.endpoint);
    await createStream(kinesis, 'bench', SHARDS);
    await createStateTable(localDynamoClient(dynalite.endpoint), 'bench-state');
    // preload one batch after another, so that each key's records are in writing order
    const t0 = Date.now();
    for (let b = 0; b < RECORDS / 500; b++) {
      const Records = Array.from({ length: 500 }, (_, i) => ({ Data: Buffer.from(`record-${b * 500 + i}-`.padEnd(100, 'x')), PartitionKey: `key-${(b * 500 + i) % KEYS}` }));
      const out = await kinesis.send(new PutRecordsCommand({ StreamName: 'bench', Records }));
      if (out.FailedRecordCount) throw new Error(`${out.FailedRecordCount} records failed to put`);
    }
    console.log(`preloaded ${RECORDS} records (${KEYS} partition keys) into ${SHARDS} shards in ${Date.now() - t0} ms; handler ${HANDLER_MS} ms`);

    let app = 0;
    const run = (s: Side): Run => {
      app += 1;
      const out = spawnSync(process.execPath, ['--no-warnings', '--import', 'tsx', fileURLToPath(import.meta.url)], {
        env: { ...process.env, BENCH_SIDE: s, APP: `bench-${s}-${app}`, KINESIS_ENDPOINT: kinesisLocal.endpoint, DYNAMODB_ENDPOINT: dynalite.endpoint },
        encoding: 'utf8',
      });
      if (out.status !== 0) throw new Error(`side ${s} failed: ${out.stderr}`);
      const result = JSON.parse(out.stdout.trim().split('\n').pop()!) as Run;
      console.log(`  ${s}: ${result.records} records in ${Math.round(result.wallMs)} ms`);
      return result;
    };
    const runs: Run[] = [run('a'), run('b')];
    for (let i = 0; i < RUNS; i++) runs.push(run('c'), run('d'), run('e'));

    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    const rows = (Object.keys(SIDES) as Side[]).map((s) => {
      const mine = runs.filter((r) => r.side === s);
      const pick = (f: (r: Run) => number) => median(mine.map(f));
      return {
        side: s,
        name: SIDES[s],
        runs: mine.length,
        records: pick((r) => r.records),
        wallMs: Math.round(pick((r) => r.wallMs)),
        firstMs: Math.round(pick((r) => r.firstMs)),
        recordsPerSecond: Math.round(pick((r) => r.records / (r.wallMs / 1000))),
        cpuUsPerRecord: +pick((r) => r.cpuUs / r.records).toFixed(1),
        steadyCpuUsPerRecord: +pick((r) => r.steadyCpuUs / Math.max(1, r.records - 1)).toFixed(1),
        batches: pick((r) => r.batches),
        orderViolations: Math.max(...mine.map((r) => r.orderViolations)),
        overlaps: Math.max(...mine.map((r) => r.overlaps)),
        peakRssMb: +(pick((r) => r.peakRss) / 2 ** 20).toFixed(1),
      };
    });
    const by = Object.fromEntries(rows.map((r) => [r.side, r])) as Record<Side, (typeof rows)[number]>;
    const ratios = {
      cOverD: +(by.c.recordsPerSecond / by.d.recordsPerSecond).toFixed(2),
      cOverA: +(by.c.recordsPerSecond / by.a.recordsPerSecond).toFixed(1),
      bOverA: +(by.b.recordsPerSecond / by.a.recordsPerSecond).toFixed(1),
      eOverA: +(by.e.recordsPerSecond / by.a.recordsPerSecond).toFixed(1),
      cpuCOverA: +(by.c.cpuUsPerRecord / by.a.cpuUsPerRecord).toFixed(2),
      steadyCpuCOverA: +(by.c.steadyCpuUsPerRecord / by.a.steadyCpuUsPerRecord).toFixed(2),
    };

    console.log(`\nprocessing: ${RECORDS} records, ${SHARDS} shards, ${KEYS} keys, ${HANDLER_MS} ms handler; (a) over its first ${SERIAL_RECORDS} records; c, d, e: median of ${RUNS}\n`);
    console.log('side                                records  wall ms  join+first ms  records/s  CPU us/rec  steady us/rec  order violations  overlaps  RSS MB');
    for (const r of rows) {
      console.log(
        `(${r.side}) ${r.name.padEnd(32)}${String(r.records).padStart(7)}${String(r.wallMs).padStart(9)}${String(r.firstMs).padStart(15)}${String(r.recordsPerSecond).padStart(11)}` +
          `${String(r.cpuUsPerRecord).padStart(12)}${String(r.steadyCpuUsPerRecord).padStart(15)}${String(r.orderViolations).padStart(18)}${String(r.overlaps).padStart(10)}${String(r.peakRssMb).padStart(8)}`,
      );
    }
    console.log(`\n(e) made ${by.e.batches} handler calls (${Math.round(by.e.records / Math.max(1, by.e.batches))} records per batch)`);
    console.log(
      `ratios: (c)/(d) throughput ${ratios.cOverD}x (target >= 0.9); (c)/(a) ${ratios.cOverA}x (target >= 40); (b)/(a) ${ratios.bOverA}x; (e)/(a) ${ratios.eOverA}x; ` +
        `CPU per record (c)/(a) ${ratios.cpuCOverA}x over the window, ${ratios.steadyCpuCOverA}x steady (target <= 1.2); (c) order violations ${by.c.orderViolations} (target 0)`,
    );
    mkdirSync('.bench', { recursive: true });
    writeFileSync('.bench/processing.json', JSON.stringify({ when: new Date().toISOString(), records: RECORDS, shards: SHARDS, keys: KEYS, handlerMs: HANDLER_MS, serialRecords: SERIAL_RECORDS, rows, ratios, runs }, null, 2));
  } finally {
    await Promise.all([kinesisLocal.stop(), dynalite.stop()]);
  }
}

/** One side, in a child process: prints one JSON line (a {@link Run}). */
async function side(s: Side): Promise<void> {
  const expected = s === 'a' ? Math.min(SERIAL_RECORDS, RECORDS) : RECORDS;
  const sleep = () => new Promise<void>((resolve) => setTimeout(resolve, HANDLER_MS));
  // Order per key: the handler's starts must come in sequence-number order, never two at once.
  const lastStarted = new Map<string, bigint>();
  const running = new Set<string>();
  let orderViolations = 0;
  let overlaps = 0;
  const started = (r: KinesumerRecord) => {
    const seq = BigInt(r.sequenceNumber);
    if ((lastStarted.get(r.partitionKey) ?? -1n) > seq) orderViolations += 1;
    lastStarted.set(r.partitionKey, seq);
    if (running.has(r.partitionKey)) overlaps += 1;
    running.add(r.partitionKey);
  };
  const handle = async (r: KinesumerRecord) => {
    started(r);
    await sleep();
    running.delete(r.partitionKey);
    return r;
  };
  let batches = 0;
  const handleBatch = async (records: readonly KinesumerRecord[]) => {
    batches += 1;
    // a batch holds several records of a key, in order; an overlap is a key in two batches at once
    const keys = new Set(records.map((r) => r.partitionKey));
    for (const key of keys) if (running.has(key)) overlaps += 1;
    for (const r of records) {
      const seq = BigInt(r.sequenceNumber);
      if ((lastStarted.get(r.partitionKey) ?? -1n) > seq) orderViolations += 1;
      lastStarted.set(r.partitionKey, seq);
    }
    for (const key of keys) running.add(key);
    await sleep();
    for (const key of keys) running.delete(key);
  };

  let peak = process.memoryUsage.rss();
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 50);
  const cpu = process.cpuUsage();
  const start = performance.now();
  // The window starts here: the clients are created and the group is joined inside it.
  const consumer = createKinesumer({
    app: process.env['APP']!,
    kinesis: { endpoint: process.env['KINESIS_ENDPOINT']!, ...localAws, http1: true },
    stateStore: { table: 'bench-state', endpoint: process.env['DYNAMODB_ENDPOINT']!, ...localAws },
    initialPosition: 'TRIM_HORIZON',
    logger: silentLogger,
  });
  const records$ = consumer.consume(['bench']);
  const pipelines: Record<Side, () => Observable<unknown>> = {
    a: () => records$.pipe(concatMap(handle), checkpoint(consumer)),
    b: () => records$.pipe(processRecords(consumer, handle)),
    c: () => records$.pipe(processRecords(consumer, handle, { concurrency: 64 })),
    d: () => records$.pipe(mergeMap(handle, 64), checkpoint(consumer)),
    e: () => records$.pipe(processBatches(consumer, handleBatch)),
  };
  const seen = new Set<string>();
  let firstMs = 0;
  let firstCpu = 0;
  const cpuNow = () => {
    const used = process.cpuUsage(cpu);
    return used.user + used.system;
  };
  const count = (r: KinesumerRecord) => {
    if (seen.size === 0) {
      firstMs = performance.now() - start;
      firstCpu = cpuNow();
    }
    seen.add(`${r.shardId}/${r.sequenceNumber}`);
  };
  await new Promise<void>((resolve, reject) => {
    consumer.errors$.subscribe((err) => process.stderr.write(`[${err.code}] ${err.message}\n`));
    if (process.env['BENCH_TRACE']) consumer.events$.subscribe((e) => process.stderr.write(`${Math.round(performance.now() - start)} ms: ${JSON.stringify(e)}\n`));
    pipelines[s]().subscribe({
      next: (out) => {
        const done = out as KinesumerRecord | { record: KinesumerRecord } | { records: readonly KinesumerRecord[] };
        if ('records' in done) done.records.forEach(count);
        else count('record' in done ? done.record : done);
        if (seen.size >= expected) resolve();
      },
      error: reject,
    });
  });
  const wallMs = performance.now() - start;
  const cpuUs = cpuNow();
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage.rss());
  const run: Run = { side: s, records: seen.size, wallMs, firstMs, cpuUs, steadyCpuUs: cpuUs - firstCpu, batches, orderViolations, overlaps, peakRss: peak };
  // (a) stops after its window with records still buffered: the close does not wait for them
  await consumer.close({ drainTimeout: 0 });
  console.log(JSON.stringify(run));
  process.exit(0);
}
