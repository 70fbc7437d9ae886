/**
 * The child of the poll-cost benchmark (see bench/poll-cost.ts): one side, measured in a process
 * of its own on plain node. POLL_COST_SIDE is `bare loop` or the name of a library side, whose
 * build POLL_COST_DIST points at; BENCH_SHARDS, BENCH_IDLE and BENCH_WINDOW_MS as in the parent.
 * Prints one JSON line: `{ usPerPoll, polls }`.
 */
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { from, map } from 'rxjs';

type Library = typeof import('../../src/index.js');

const SHARDS = Number(process.env['BENCH_SHARDS'] ?? 100);
const IDLE = process.env['BENCH_IDLE'] === '1';
const WARMUP_MS = Number(process.env['BENCH_WARMUP_MS'] ?? 2000);
const WINDOW_MS = Number(process.env['BENCH_WINDOW_MS'] ?? 5000);
const side = process.env['POLL_COST_SIDE']!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const shardIds = Array.from({ length: SHARDS }, (_, i) => `shardId-${String(i).padStart(12, '0')}`);
// Behind the tip: the next call as soon as the 5-a-second limit allows. At the tip (BENCH_IDLE): after idleInterval.
const page = { records: [], nextShardIterator: 'it', millisBehindLatest: IDLE ? 0 : 1 };
let polls = 0;
let stop: () => Promise<void>;
if (side === 'bare loop') {
  let running = true;
  const loops = shardIds.map(async () => {
    while (running) {
      const startedAt = performance.now();
      await Promise.resolve(page);
      polls += 1;
      await sleep(Math.max(0, startedAt + (IDLE ? 1000 : 200) - performance.now()));
    }
  });
  stop = async () => {
    running = false;
    await Promise.all(loops);
  };
} else {
  const library: Library = await import(pathToFileURL(join(resolve(process.env['POLL_COST_DIST']!), 'index.js')).href);
  const kinesis = {
    listShards: () => from(Promise.resolve(shardIds.map((shardId) => ({ shardId, closed: false, parentShardId: undefined, adjacentParentShardId: undefined, startingSequenceNumber: undefined })))),
    getShardIterator: () => from(Promise.resolve('it')),
    getRecords: () => {
      polls += 1;
      return from(Promise.resolve(page));
    },
  };
  const consumer = library.createKinesumer({ app: 'bench', clientId: 'only', kinesis, stateStore: new library.MemoryStateStore(), initialPosition: 'TRIM_HORIZON' });
  const subscription = consumer
    .consume(['s'])
    .pipe(
      map((r) => r),
      library.checkpoint(consumer),
    )
    .subscribe();
  stop = async () => {
    subscription.unsubscribe();
    await consumer.close();
  };
}
await sleep(WARMUP_MS);
const cpu = process.cpuUsage();
const before = polls;
await sleep(WINDOW_MS);
const used = process.cpuUsage(cpu);
const measured = polls - before;
await stop();
console.log(JSON.stringify({ usPerPoll: (used.user + used.system) / measured, polls: measured }));
process.exit(0);
