/**
 * What one GetRecords poll costs the library, without the network: a consumer with the in-memory
 * state store and the defaults reads 100 shards of a fake Kinesis seam that answers every call at
 * once (through a resolved promise, as the SDK does) with an empty page that is behind the tip, so
 * each shard polls as fast as Kinesis allows (every 200 ms, on real timers). CPU per poll over
 * 5 s after a 2 s warm-up, against a bare loop that makes the same calls with a `setTimeout`
 * between them. Each side in a child process of its own, BENCH_RUNS rounds (default 5) in
 * rotating order, medians. BENCH_BEFORE_DIST=<dir> adds a build of another version as a side.
 *
 *   npm run bench -- poll-cost      (builds dist/ first; writes .bench/poll-cost.json)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { from, map } from 'rxjs';

const SHARDS = 100;
const WARMUP_MS = 2000;
const WINDOW_MS = Number(process.env['BENCH_WINDOW_MS'] ?? 5000);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
const root = fileURLToPath(new URL('..', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Child: measures one side and prints `{ usPerPoll, polls }`. */
async function child(side: string, dist: string): Promise<void> {
  const shardIds = Array.from({ length: SHARDS }, (_, i) => `shardId-${String(i).padStart(12, '0')}`);
  const page = { records: [], nextShardIterator: 'it', millisBehindLatest: 1 };
  let polls = 0;
  let stop: () => Promise<void>;
  if (side === 'bare loop') {
    let running = true;
    const loops = shardIds.map(async () => {
      while (running) {
        const startedAt = performance.now();
        await Promise.resolve(page);
        polls += 1;
        await sleep(Math.max(0, startedAt + 200 - performance.now()));
      }
    });
    stop = async () => {
      running = false;
      await Promise.all(loops);
    };
  } else {
    const library: typeof import('../src/index.js') = await import(pathToFileURL(join(resolve(dist), 'index.js')).href);
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
}

if (process.env['POLL_COST_SIDE']) {
  await child(process.env['POLL_COST_SIDE'], process.env['POLL_COST_DIST']!);
  process.exit(0);
}

const build = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8' });
if (build.status !== 0) throw new Error(`npm run build failed: ${build.stdout}${build.stderr}`);
const sides = [
  { name: 'bare loop', dist: '' },
  { name: 'rx-kinesumer', dist: join(root, 'dist') },
  ...(process.env['BENCH_BEFORE_DIST'] ? [{ name: 'rx-kinesumer before', dist: resolve(process.env['BENCH_BEFORE_DIST']) }] : []),
];
const results = new Map<string, number[]>(sides.map((s) => [s.name, []]));
for (let run = 0; run < RUNS; run++) {
  for (let i = 0; i < sides.length; i++) {
    const side = sides[(run + i) % sides.length]!;
    const out = spawnSync(process.execPath, ['--no-warnings', '--import', 'tsx', fileURLToPath(import.meta.url)], {
      env: { ...process.env, POLL_COST_SIDE: side.name, POLL_COST_DIST: side.dist },
      encoding: 'utf8',
    });
    if (out.status !== 0) throw new Error(`${side.name} failed: ${out.stderr}`);
    results.get(side.name)!.push((JSON.parse(out.stdout.trim().split('\n').pop()!) as { usPerPoll: number }).usPerPoll);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`\nCPU per GetRecords poll, ${SHARDS} shards each polled every 200 ms, ${WINDOW_MS} ms windows, medians of ${RUNS} rounds\n`);
console.log(`${'side'.padEnd(22)}${'µs/poll'.padStart(9)}${'over bare'.padStart(11)}   runs`);
const bare = median(results.get('bare loop')!);
const rows = sides.map(({ name }) => {
  const runs = results.get(name)!;
  const us = median(runs);
  console.log(`${name.padEnd(22)}${us.toFixed(1).padStart(9)}${(name === 'bare loop' ? '' : `+${(us - bare).toFixed(1)}`).padStart(11)}   ${runs.map((x) => x.toFixed(0)).join(' ')}`);
  return { name, usPerPoll: us, runs };
});
mkdirSync(join(root, '.bench'), { recursive: true });
writeFileSync(join(root, '.bench/poll-cost.json'), JSON.stringify({ when: new Date().toISOString(), shards: SHARDS, windowMs: WINDOW_MS, rows }, null, 2));
