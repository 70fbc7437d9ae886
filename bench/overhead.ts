/**
 * Library overhead without the network: consume -> map -> checkpoint with the in-memory state
 * store, fed by a fake Kinesis seam that returns pre-built GetRecords pages of 10,000 records for
 * 8 shards, against a bare loop over the same pages doing the same map.
 *
 * The consumer runs on a VirtualTimeScheduler, so its timers (sync rounds, the 200 ms between
 * GetRecords calls, commits) cost no waiting: what is measured is the CPU the library spends.
 *
 *   npm run bench -- overhead      (writes .bench/overhead.json)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { _Record } from '@aws-sdk/client-kinesis';
import { NEVER, VirtualTimeScheduler, concat, map, of } from 'rxjs';
import { checkpoint, createKinesumer, MemoryStateStore, type KinesisApi, type RecordsPage } from '../src/index.js';

const SHARDS = 8;
const PAGES = Number(process.env['BENCH_PAGES'] ?? 6);
const PAGE = 10_000;
const RUNS = 5;

function buildPages(): _Record[][][] {
  const payload = new Uint8Array(100).fill(7);
  return Array.from({ length: SHARDS }, (_, shard) =>
    Array.from({ length: PAGES }, (_, page) =>
      Array.from({ length: PAGE }, (_, i) => ({
        SequenceNumber: `4959${String(shard).padStart(4, '0')}${String(page * PAGE + i).padStart(20, '0')}`,
        PartitionKey: `key-${i % 100}`,
        Data: payload,
        ApproximateArrivalTimestamp: new Date(0),
      })),
    ),
  );
}

const pages = buildPages();
const total = SHARDS * PAGES * PAGE;
const shardIds = Array.from({ length: SHARDS }, (_, i) => `shardId-${String(i).padStart(12, '0')}`);

function fakeKinesis(): KinesisApi {
  return {
    listShards: () =>
      of(shardIds.map((shardId) => ({ shardId, closed: false, parentShardId: undefined, adjacentParentShardId: undefined, startingSequenceNumber: undefined }))),
    getShardIterator: (_stream, shardId) => concat(of(`${shardId}:0`), NEVER),
    getRecords: (_stream, shardId, iterator): ReturnType<KinesisApi['getRecords']> => {
      const page = Number(iterator.split(':')[1]);
      const shard = shardIds.indexOf(shardId);
      const records = pages[shard]![page] ?? [];
      const out: RecordsPage = {
        records,
        nextShardIterator: page + 1 < PAGES ? `${shardId}:${page + 1}` : `${shardId}:${PAGES}`,
        millisBehindLatest: page + 1 < PAGES ? 1000 : 0,
      };
      return of(out);
    },
  };
}

function bareLoop(): number {
  let sum = 0;
  for (const shard of pages) for (const page of shard) for (const r of page) sum += r.Data!.length;
  return sum;
}

function throughLibrary(withMetrics = false): number {
  const scheduler = new VirtualTimeScheduler();
  let count = 0;
  const consumer = createKinesumer({
    app: 'bench',
    clientId: 'only',
    kinesis: fakeKinesis(),
    stateStore: new MemoryStateStore(),
    initialPosition: 'TRIM_HORIZON',
    polling: { scanLimit: PAGE, maxInFlight: 2 * PAGE },
    metrics: { interval: 1000 },
    scheduler,
  });
  let sum = 0;
  if (withMetrics) consumer.metrics$.subscribe();
  consumer
    .consume(['s'])
    .pipe(
      map((r) => ((sum += r.data.length), r)), // the same work as the bare loop
      checkpoint(consumer),
    )
    .subscribe(() => (count += 1));
  scheduler.schedule(() => void consumer.close(), 60_000);
  scheduler.flush();
  if (count !== total) throw new Error(`delivered ${count} of ${total}`);
  return sum;
}

function time(fn: () => unknown): { ns: number; cpuUs: number } {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  fn();
  const ns = Number(process.hrtime.bigint() - start);
  const used = process.cpuUsage(cpu);
  return { ns, cpuUs: used.user + used.system };
}

// warm up both paths
bareLoop();
throughLibrary();

const bare: number[] = [];
const lib: number[] = [];
const libMetrics: number[] = [];
for (let i = 0; i < RUNS; i++) {
  bare.push(time(bareLoop).ns);
  lib.push(time(() => throughLibrary(false)).ns);
  libMetrics.push(time(() => throughLibrary(true)).ns);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const bareNs = median(bare);
const libNs = median(lib);
const libMetricsNs = median(libMetrics);
const result = {
  records: total,
  runs: RUNS,
  bareRecordsPerSecond: Math.round(total / (bareNs / 1e9)),
  libraryRecordsPerSecond: Math.round(total / (libNs / 1e9)),
  overheadNsPerRecord: Math.round((libNs - bareNs) / total),
  ratio: +(libNs / bareNs).toFixed(1),
  withMetricsRecordsPerSecond: Math.round(total / (libMetricsNs / 1e9)),
};
console.log(`\nlibrary overhead: ${total} records (${SHARDS} shards x ${PAGES} pages x ${PAGE}), median of ${RUNS} runs\n`);
console.log('path                      records/s     ns/record');
console.log(`bare loop            ${String(result.bareRecordsPerSecond).padStart(14)}${String(Math.round(bareNs / total)).padStart(14)}`);
console.log(`consume+checkpoint   ${String(result.libraryRecordsPerSecond).padStart(14)}${String(Math.round(libNs / total)).padStart(14)}`);
console.log(`  + metrics$ (1 s)   ${String(result.withMetricsRecordsPerSecond).padStart(14)}${String(Math.round(libMetricsNs / total)).padStart(14)}`);
console.log(`\noverhead ${result.overheadNsPerRecord} ns per record (target: >= 1,000,000 records/s through the library)`);
mkdirSync('.bench', { recursive: true });
writeFileSync('.bench/overhead.json', JSON.stringify({ when: new Date().toISOString(), ...result }, null, 2));
