/**
 * `npm run demo` in its non-TTY mode, short: it must reach a passing verdict, report every
 * rebalance of its script, print plain lines (no terminal codes), and stop what it started.
 */
import test from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

function run(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--no-warnings', '--import', 'tsx', 'examples/demo.ts'], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const kill = setTimeout(() => child.kill('SIGINT'), 100_000); // the demo cleans up on SIGINT
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(kill);
      resolve({ code, stdout, stderr });
    }),
  );
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

test('the demo runs its script (SIGKILL, join, split) to a passing verdict and stops everything it started', async (t) => {
  const started = Date.now();
  const { code, stdout, stderr } = await run({ DEMO_SECONDS: '15' });
  const output = `${stdout}\n${stderr}`;
  t.is(code, 0, output);
  t.false(/\x1b\[/.test(stdout), 'plain lines when stdout is not a terminal');

  // the verdict
  const verdict = /^produced (\d+)  ·  delivered (\d+) distinct  ·  lost (\d+)  ·  duplicates (\d+)/m.exec(stdout);
  t.truthy(verdict, output);
  const [produced, distinct, lost] = verdict!.slice(1, 4).map(Number) as [number, number, number];
  t.true(produced > 500, `a steady producer wrote ${produced}`);
  t.is(distinct, produced);
  t.is(lost, 0);
  t.regex(stdout, /^PASS: every produced record was delivered/m);

  // every event of the script happened, and each rebalance settled
  const rebalances = /^rebalances: (.*)$/m.exec(stdout)?.[1] ?? '';
  for (const event of [/start of 3 members \d+\.\d s/, /SIGKILL member-\d \(it held [#\d ]+\) \d+\.\d s/, /member-4 joins \d+\.\d s/, /split #\d into #\d #\d \d+\.\d s/]) {
    t.regex(rebalances, event, output);
  }
  t.regex(stdout, /^left with SIGTERM: (member-\d exit 0(, )?){3}$/m);
  // the live view, one plain line per update, shows members with shards, rates and lag
  t.regex(stdout, /^\s*\d+\.\d s {2}member-\d( \(leader\))? \[[#\d ]+\] \d+\/s lag \d+\.\d s/m);

  // the emulators and the producer are gone
  const ports = /kinesis-local http:\/\/127\.0\.0\.1:(\d+), dynalite http:\/\/127\.0\.0\.1:(\d+)/.exec(stdout);
  t.truthy(ports, stdout);
  for (const port of ports!.slice(1, 3).map(Number)) t.false(await listening(port), `port ${port} is closed`);
  const processes = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
  t.false(processes.includes(`demo-producer.ts http://127.0.0.1:${ports![1]}`), 'the producer was stopped');

  t.true(Date.now() - started < 60_000, `took ${Date.now() - started} ms`);
});
