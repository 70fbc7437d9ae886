/**
 * `npm run bench [name...]`: runs the benchmarks under bench (not part of `npm test`), one
 * after another in child processes, so each one's figures are its own.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const all = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && f !== 'profile-summary.ts') // e2e/ holds the end-to-end benchmark's children
  .map((f) => f.slice(0, -3));
const wanted = process.argv.slice(2);
const chosen = wanted.length ? all.filter((b) => wanted.includes(b)) : all;
if (chosen.length === 0) {
  console.error(`no such benchmark: ${wanted.join(', ')} (have: ${all.join(', ')})`);
  process.exit(2);
}
let failed = 0;
for (const bench of chosen) {
  console.log(`\n=== ${bench}`);
  const run = spawnSync(process.execPath, ['--no-warnings', '--import', 'tsx', `${dir}${bench}.ts`], { stdio: 'inherit' });
  if (run.status !== 0) failed += 1;
}
process.exit(failed ? 1 : 0);
