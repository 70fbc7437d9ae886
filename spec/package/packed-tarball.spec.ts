/**
 * The package as npm ships it: `npm pack` (its `prepack` builds dist/ from a clean state), then
 * an application of its own installs the tarball next to OLDER AWS SDK clients (3.600.0) than the
 * library's, type-checks against the installed declarations, and runs a consumer with its own
 * clients against kinesis-local and dynalite: it puts records, creates the state table, consumes
 * and checkpoints them, and closes. Then `npx kinesumer` runs there (`--help`, and `status`
 * reading the checkpoints the consumer wrote).
 *
 * The install uses npm's cache first (`--prefer-offline`); the 3.600.0 clients come from the
 * registry the first time. The emulators are started by this spec (stopped even when it fails),
 * so the application's processes never outlive it.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import anyTest, { type TestFn } from 'ava';
import { startDynalite, startKinesisLocal, type Emulator } from '../../src/testing/emulators.js';

const test = anyTest as TestFn<{ kinesis: Emulator; dynamo: Emulator; work: string }>;

/** The SDK version the application pins: older than the library's own. */
const APP_SDK = '3.600.0';
const repo = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { name: string; version: string; devDependencies: Record<string, string> };

/**
 * The environment of the commands run here: without the `npm_*` variables of an enclosing `npm
 * test` (they would point npm at this repository), but with the same cache.
 */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.toLowerCase().startsWith('npm_') || ['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig'].includes(key.toLowerCase())) env[key] = value;
  }
  return { ...env, ...extra };
}

/** Runs a command; resolves with its stdout, or rejects with the end of its output. */
function run(file: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd: options.cwd, env: options.env ?? cleanEnv(), timeout: options.timeout ?? 120_000, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')} failed (${err.message.split('\n')[0]}):\n${stdout.slice(-3000)}\n${stderr.slice(-3000)}`));
      else resolve(stdout);
    });
  });
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

test.before(async (t) => {
  const [kinesis, dynamo] = await Promise.all([startKinesisLocal(), startDynalite()]);
  t.context = { kinesis, dynamo, work: mkdtempSync(join(tmpdir(), 'rx-kinesumer-packed-')) };
});

test.after.always(async (t) => {
  await Promise.all([t.context.kinesis?.stop(), t.context.dynamo?.stop()]);
  if (t.context.work) rmSync(t.context.work, { recursive: true, force: true });
});

test(`the packed tarball works in an application with its own @aws-sdk clients ${APP_SDK}`, async (t) => {
  t.timeout(240_000);
  const { work, kinesis, dynamo } = t.context;
  const started = Date.now();
  const lap: Record<string, number> = {};
  const mark = (name: string) => (lap[name] = Math.round((Date.now() - started) / 100) / 10);

  // given the tarball npm would publish
  await run(npm, ['pack', '--pack-destination', work, '--silent'], { cwd: repo });
  const tarball = join(work, `${pkg.name}-${pkg.version}.tgz`);
  t.true(existsSync(tarball), 'npm pack wrote the tarball');
  mark('pack');

  // and an application that pins older SDK clients than the library's
  const app = join(work, 'app');
  mkdirSync(app);
  const manifest = {
    name: 'packed-app',
    private: true,
    type: 'module',
    dependencies: {
      [pkg.name]: `file:${tarball}`,
      '@aws-sdk/client-kinesis': APP_SDK,
      '@aws-sdk/client-dynamodb': APP_SDK,
      '@smithy/node-http-handler': '^3.0.0',
      rxjs: pkg.devDependencies['rxjs']!,
      '@types/node': pkg.devDependencies['@types/node']!,
    },
  };
  writeFileSync(join(app, 'package.json'), JSON.stringify(manifest, null, 2));
  await run(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], { cwd: app });
  mark('install');

  // the tarball holds the build: entry points, declarations, the CLI with its shebang and mode
  const installed = join(app, 'node_modules', pkg.name);
  for (const file of ['LICENSE', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/testing/index.d.ts', 'dist/prometheus.js']) {
    t.true(existsSync(join(installed, file)), `${file} is shipped`);
  }
  t.false(existsSync(join(installed, 'src')), 'src/ is not shipped (the source maps carry their sources)');
  t.true(JSON.parse(readFileSync(join(installed, 'dist/index.js.map'), 'utf8')).sourcesContent?.length > 0);
  const cli = join(installed, 'dist/cli/main.js');
  t.true(readFileSync(cli, 'utf8').startsWith('#!/usr/bin/env node\n'));
  t.true((statSync(cli).mode & 0o111) !== 0, 'the CLI is executable');
  const appSdk = JSON.parse(readFileSync(join(app, 'node_modules/@aws-sdk/client-kinesis/package.json'), 'utf8')) as { version: string };
  t.is(appSdk.version, APP_SDK);

  // when the application, type-checked against the shipped declarations (skipLibCheck off, so
  // they are checked too), runs with its own clients
  copyFileSync(fileURLToPath(new URL('app/consumer.ts', import.meta.url)), join(app, 'consumer.ts'));
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, outDir: 'out', types: ['node'], skipLibCheck: false },
      files: ['consumer.ts'],
    }),
  );
  await run(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', app], { cwd: app });
  mark('tsc');
  const names = { APP: 'packed-app', STREAM: 'packed-orders', TABLE: 'packed-state' };
  const out = await run(process.execPath, ['--no-warnings', join(app, 'out/consumer.js')], {
    cwd: app,
    env: cleanEnv({ ...names, KINESIS_ENDPOINT: kinesis.endpoint, DYNAMODB_ENDPOINT: dynamo.endpoint }),
    timeout: 60_000,
  });
  mark('consumer');

  // then it got every record it put, in order per shard
  type Line = { data: string; shardId: string; sequenceNumber: string };
  const result = JSON.parse(out.trim().split('\n').pop()!) as { put: Line[]; delivered: Line[] };
  t.is(result.put.length, 10);
  t.deepEqual(result.delivered.map((r) => r.data).sort(), result.put.map((r) => r.data).sort());
  const byShard = (lines: Line[]) => {
    const shards: Record<string, string[]> = {};
    for (const line of lines) (shards[line.shardId] ??= []).push(line.sequenceNumber);
    return shards;
  };
  t.deepEqual(byShard(result.delivered), byShard(result.put));

  // and `npx kinesumer` works there: --help, and status shows the checkpoints it committed
  const help = await run(npx, ['--no-install', 'kinesumer', '--help'], { cwd: app });
  t.regex(help, /kinesumer tail/);
  const status = JSON.parse(
    await run(npx, ['--no-install', 'kinesumer', 'status', '--app', names.APP, '--table', names.TABLE, '--dynamodb-endpoint', dynamo.endpoint, '--region', 'us-east-1', '--json'], {
      cwd: app,
      env: cleanEnv({ AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' }),
    }),
  ) as { streams: Array<{ stream: string; shards: Array<{ shardId: string; checkpoint: string | null; owner: string | null }> }> };
  const lastPut = Object.fromEntries(Object.entries(byShard(result.put)).map(([shard, seqs]) => [shard, seqs[seqs.length - 1]]));
  const shards = status.streams.find((s) => s.stream === names.STREAM)?.shards ?? [];
  t.deepEqual(Object.fromEntries(shards.filter((s) => s.checkpoint !== null).map((s) => [s.shardId, s.checkpoint])), lastPut);
  t.true(shards.every((s) => s.owner === null), 'close() released every shard');
  mark('cli');
  t.log(`seconds since start: ${JSON.stringify(lap)}`);
});
