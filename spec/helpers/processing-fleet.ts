/**
 * Starts processing members as child processes (spec/helpers/processing-member.ts) and reads what
 * they wrote: the handler's starts and ends, landed checkpoints, assignments, errors and events.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./processing-member.ts', import.meta.url));

/** One line a member wrote (see processing-member.ts for the kinds). */
export interface MemberLine {
  t: number;
  ev: 'start' | 'end' | 'committed' | 'assignment' | 'error' | 'event' | 'pipelineError' | 'pipelineComplete' | 'closed' | 'ready';
  shard?: string;
  seq?: string;
  key?: string;
  data?: string;
  /** On a start: how long the handler will take, ms. */
  ms?: number;
  shards?: string[];
  code?: string;
  type?: string;
  message?: string;
}

/** The environment of processing-member.ts without the MEMBER_ prefix, for example `{ MODE: 'plain', CONCURRENCY: 32 }`. */
export type MemberSettings = Record<string, string | number | undefined>;

/** A running processing member. */
export class ProcessingMember {
  readonly child: ChildProcess;
  stderr = '';
  private readonly dir = mkdtempSync(join(tmpdir(), 'processing-member-'));
  private readonly file = join(this.dir, 'out.jsonl');
  private readonly exited: Promise<void>;
  private parsed: MemberLine[] = [];
  private readOffset = 0;

  constructor(
    readonly id: string,
    base: { app: string; stream: string; table: string; kinesisEndpoint: string; dynamoEndpoint: string },
    settings: MemberSettings,
  ) {
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      MEMBER_APP: base.app,
      MEMBER_ID: id,
      MEMBER_STREAM: base.stream,
      MEMBER_TABLE: base.table,
      MEMBER_OUT: this.file,
      KINESIS_ENDPOINT: base.kinesisEndpoint,
      DYNAMODB_ENDPOINT: base.dynamoEndpoint,
    };
    for (const [name, value] of Object.entries(settings)) if (value !== undefined) env[`MEMBER_${name}`] = String(value);
    this.child = spawn(process.execPath, ['--no-warnings', '--import', 'tsx', script], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-8000)));
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  /** Every line written so far (complete lines only). */
  lines(): MemberLine[] {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return this.parsed; // not created yet
    }
    const end = text.lastIndexOf('\n') + 1;
    if (end > this.readOffset) {
      for (const line of text.slice(this.readOffset, end).split('\n')) if (line) this.parsed.push({ ...(JSON.parse(line) as MemberLine) });
      this.readOffset = end;
    }
    return this.parsed;
  }

  /** The lines of kind `ev`. */
  of(ev: MemberLine['ev']): MemberLine[] {
    return this.lines().filter((l) => l.ev === ev);
  }

  /** The shards of its latest assignment. */
  get shards(): string[] {
    return this.of('assignment').at(-1)?.shards ?? [];
  }

  /** The exit code (`null` while running or when killed by a signal). */
  get exitCode(): number | null {
    return this.child.exitCode;
  }

  /** SIGKILL: no close, no commit, no release. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM: the member closes gracefully; SIGKILL after `graceMs`. Resolves when it exited. */
  async stop(graceMs = 20_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const force = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    this.child.kill('SIGTERM');
    await this.exited;
    clearTimeout(force);
  }

  /** Stops it (SIGKILL if still running) and removes its file. */
  async dispose(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
