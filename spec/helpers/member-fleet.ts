/**
 * Starts group members as child processes (spec/helpers/member-process.ts) and collects what
 * each processed, so tests and benchmarks can SIGKILL or restart real processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./member-process.ts', import.meta.url));

/** One processed record as a member reported it. */
export interface Processed {
  member: string;
  t: number;
  shard: string;
  data: string;
}

export interface MemberOptions {
  app: string;
  stream: string;
  table: string;
  kinesisEndpoint: string;
  dynamoEndpoint: string;
  syncInterval?: number;
  clientTimeout?: number;
  commitInterval?: number;
  idleInterval?: number;
}

/** A running member process. */
export class MemberProcess {
  readonly child: ChildProcess;
  stderr = '';
  private exited: Promise<void>;

  constructor(
    readonly id: string,
    options: MemberOptions,
    sink: Processed[],
  ) {
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      MEMBER_APP: options.app,
      MEMBER_ID: id,
      MEMBER_STREAM: options.stream,
      MEMBER_TABLE: options.table,
      KINESIS_ENDPOINT: options.kinesisEndpoint,
      DYNAMODB_ENDPOINT: options.dynamoEndpoint,
    };
    const add = (name: string, value: number | undefined) => value !== undefined && (env[name] = String(value));
    add('MEMBER_SYNC_INTERVAL', options.syncInterval);
    add('MEMBER_CLIENT_TIMEOUT', options.clientTimeout);
    add('MEMBER_COMMIT_INTERVAL', options.commitInterval);
    add('MEMBER_IDLE_INTERVAL', options.idleInterval);
    this.child = spawn(process.execPath, ['--no-warnings', '--import', 'tsx', script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const msg = JSON.parse(line) as { t?: number; shard?: string; data?: string };
      if (msg.data !== undefined) sink.push({ member: id, t: msg.t!, shard: msg.shard!, data: msg.data });
    });
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-4000)));
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  /** SIGKILL: no close, no commit, no release. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM: the member closes gracefully (drain, commit, release, deregister). */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const force = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    this.child.kill('SIGTERM');
    await this.exited;
    clearTimeout(force);
  }
}
