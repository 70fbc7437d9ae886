/**
 * Runs the `kinesumer` command line as a child process from source (`node --import tsx
 * src/cli/main.ts`, no build needed): to completion with {@link runCli}, or as a long-running
 * `tail` with {@link TailProcess}.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { RecordLine } from '../../src/cli/record-line.js';
import { localAws } from '../helpers/emulators.js';

export const root = fileURLToPath(new URL('../../', import.meta.url));
const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** Environment for the CLI: emulator credentials, and the endpoints when given. */
export function cliEnv(endpoints: { kinesis?: string; dynamodb?: string } = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_REGION: localAws.region,
    AWS_ACCESS_KEY_ID: localAws.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: localAws.credentials.secretAccessKey,
  };
  delete env['KINESUMER_KINESIS_ENDPOINT'];
  delete env['KINESUMER_DYNAMODB_ENDPOINT'];
  if (endpoints.kinesis) env['KINESUMER_KINESIS_ENDPOINT'] = endpoints.kinesis;
  if (endpoints.dynamodb) env['KINESUMER_DYNAMODB_ENDPOINT'] = endpoints.dynamodb;
  return env;
}

// Without --no-warnings: stderr is checked as a user sees it.
function spawnCli(args: readonly string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', main, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** How a finished command ended. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs one command to its end; SIGKILLs it after `timeoutMs`. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<CliResult> {
  const child = spawnCli(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const kill = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.once('close', (code, signal) => {
      clearTimeout(kill);
      resolve({ code, signal, stdout, stderr });
    }),
  );
}

/** A running `kinesumer tail`. */
export class TailProcess {
  readonly child: ChildProcess;
  /** Every stdout line, as it came. */
  readonly raw: string[] = [];
  stderr = '';
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: readonly string[], env: NodeJS.ProcessEnv) {
    this.child = spawnCli(['tail', ...args], env);
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.raw.push(line));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.closed = new Promise((resolve) => this.child.once('close', (code, signal) => resolve({ code, signal })));
  }

  /** The stdout lines parsed (throws on a line that is not JSON: stdout must hold records only). */
  get lines(): RecordLine[] {
    return this.raw.map((line) => JSON.parse(line) as RecordLine);
  }

  /** The payloads printed, text payloads as they are. */
  get payloads(): string[] {
    return this.lines.map((l) => (typeof l.data === 'string' ? l.data : JSON.stringify(l.data)));
  }

  /** Resolves once at least `count` lines were printed; rejects after `timeoutMs` or if the process ends first. */
  async waitForLines(count: number, timeoutMs = 30_000): Promise<void> {
    await this.waitFor(() => this.raw.length >= count, timeoutMs, `${count} lines (have ${this.raw.length})`);
  }

  /** Resolves once `predicate` holds; rejects after `timeoutMs` or if the process ends first. */
  async waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`tail exited (${this.child.exitCode ?? this.child.signalCode}) while waiting for ${what}; stderr:\n${this.stderr}`);
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; stderr:\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Sends `signal` and waits for the exit; SIGKILL after `timeoutMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const force = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
      this.child.kill(signal);
      const result = await this.closed;
      clearTimeout(force);
      return result;
    }
    return this.closed;
  }

  /** Ends the process if it still runs (cleanup). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** A running `kinesumer status --watch --json`: every status it printed, parsed. */
export class StatusWatch<S = unknown> {
  readonly child: ChildProcess;
  readonly statuses: S[] = [];
  stderr = '';

  constructor(args: readonly string[], env: NodeJS.ProcessEnv) {
    this.child = spawnCli(['status', '--watch', '--json', ...args], env);
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.statuses.push(JSON.parse(line) as S));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
  }

  /** Resolves with the statuses seen once `done` holds for the last one; rejects after `timeoutMs`. */
  async until(done: (last: S, all: readonly S[]) => boolean, timeoutMs: number, what: string): Promise<S[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const last = this.statuses.at(-1);
      if (last !== undefined && done(last, this.statuses)) return [...this.statuses];
      if (this.child.exitCode !== null) throw new Error(`status --watch exited (${this.child.exitCode}); stderr:\n${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last status: ${JSON.stringify(last)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGINT, as Ctrl-C; resolves with the exit code. */
  stop(): Promise<number | null> {
    if (this.child.exitCode !== null) return Promise.resolve(this.child.exitCode);
    return new Promise((resolve) => {
      this.child.once('close', (code) => resolve(code));
      this.child.kill('SIGINT');
    });
  }
}

/** Whether `text` holds a stack trace line. */
export function hasStack(text: string): boolean {
  return /^\s+at .+/m.test(text);
}
