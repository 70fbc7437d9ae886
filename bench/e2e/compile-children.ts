/**
 * The children of the end-to-end and poll-cost benchmarks run as a service runs: plain `node` on JavaScript, not through tsx.
 * tsx's loader transforms every project file it loads, the library's compiled dist/ included,
 * and keeps what it made: about 8 MB more RSS in the consumer child than in the raw loop's, which
 * loads no project files. So the children are transformed once, here, into .bench/e2e/ (esbuild,
 * which tsx itself runs on; type-checking is `npm run typecheck`'s job).
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = fileURLToPath(new URL('.', import.meta.url));
/** Where the children are written: two levels below the repository, like bench/e2e/, so that their relative paths hold. */
const out = fileURLToPath(new URL('../../.bench/e2e/', import.meta.url));

/** Writes the children as ES modules into .bench/e2e/; returns that directory. */
export async function compileChildren(): Promise<string> {
  await build({
    entryPoints: ['baseline', 'consumer', 'lifion', 'measure', 'window-profile', 'dynamo-floor', 'poll-child'].map((name) => `${here}${name}.ts`),
    outdir: out,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  });
  return out;
}
