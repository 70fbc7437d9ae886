/**
 * What one GetRecords poll costs the library, without the network: a consumer with the in-memory
 * state store and the defaults reads 100 shards of a fake Kinesis seam that answers every call at
 * once (through a resolved promise, as the SDK does) with an empty page that is behind the tip, so
 * each shard polls as fast as Kinesis allows (every 200 ms, on real timers). CPU per poll over
 * 5 s after a 2 s warm-up, against a bare loop that makes the same calls with a `setTimeout`
 * between them. Each side in a child process of its own on plain node (e2e/poll-child.ts),
 * BENCH_RUNS rounds (default 5) in rotating order, medians. BENCH_BEFORE_DIST=<dir> adds a build
 * of another version as a side. BENCH_SHARDS (default 100) and BENCH_IDLE=1 (pages at the tip:
 * each shard polls once per `idleInterval`, 1 s, as on a quiet stream; use with
 * BENCH_WINDOW_MS=30000 and BENCH_WARMUP_MS=10000 or so) show the cost at a low rate. The
 * first seconds of a process hold one-off work (V8's memory reducer, tier-up compiles on its
 * helper threads, which process.cpuUsage() counts too); the warm-up keeps it out of the window.
 *
 *   npm run bench -- poll-cost      (builds dist/ first; writes .bench/poll-cost.json)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileChildren } from './e2e/compile-children.js';

const SHARDS = Number(process.env['BENCH_SHARDS'] ?? 100);
const WINDOW_MS = Number(process.env['BENCH_WINDOW_MS'] ?? 5000);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
const root = fileURLToPath(new URL('..', import.meta.url));

const build = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8' });
if (build.status !== 0) throw new Error(`npm run build failed: ${build.stdout}${build.stderr}`);
// The child runs on plain node, as a service would: tsx's loader thread would add its own CPU.
const children = await compileChildren();
const sides = [
  { name: 'bare loop', dist: '' },
  { name: 'rx-kinesumer', dist: join(root, 'dist') },
  ...(process.env['BENCH_BEFORE_DIST'] ? [{ name: 'rx-kinesumer before', dist: resolve(process.env['BENCH_BEFORE_DIST']) }] : []),
];
const results = new Map<string, number[]>(sides.map((s) => [s.name, []]));
for (let run = 0; run < RUNS; run++) {
  for (let i = 0; i < sides.length; i++) {
    const side = sides[(run + i) % sides.length]!;
    const out = spawnSync(process.execPath, ['--no-warnings', `${children}poll-child.js`], {
      env: { ...process.env, POLL_COST_SIDE: side.name, POLL_COST_DIST: side.dist },
      encoding: 'utf8',
    });
    if (out.status !== 0) throw new Error(`${side.name} failed: ${out.stderr}`);
    results.get(side.name)!.push((JSON.parse(out.stdout.trim().split('\n').pop()!) as { usPerPoll: number }).usPerPoll);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`\nCPU per GetRecords poll, ${SHARDS} shards each polled every ${process.env['BENCH_IDLE'] === '1' ? '1000' : '200'} ms, ${WINDOW_MS} ms windows, medians of ${RUNS} rounds\n`);
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
