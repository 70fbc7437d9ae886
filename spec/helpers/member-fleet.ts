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
  /** Its sequence number. */
  seq?: string;
  /** Its approximate arrival time, ms. */
  arrived?: number;
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
  /** Processing time per record, ms. */
  delayMs?: number;
  maxInFlight?: number;
  stallTimeout?: number;
  initialPosition?: 'latest' | 'trim_horizon';
}

/** A running member process. */
export class MemberProcess {
  readonly child: ChildProcess;
  stderr = '';
  /** The answers to {@link MemberProcess.send}, in order. */
  readonly acks: { ack?: string; failed?: string; message?: string }[] = [];
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
    add('MEMBER_DELAY_MS', options.delayMs);
    add('MEMBER_MAX_IN_FLIGHT', options.maxInFlight);
    add('MEMBER_STALL_TIMEOUT', options.stallTimeout);
    if (options.initialPosition) env['MEMBER_INITIAL_POSITION'] = options.initialPosition;
    this.child = spawn(process.execPath, ['--no-warnings', '--import', 'tsx', script], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const msg = JSON.parse(line) as { t?: number; shard?: string; seq?: string; arrived?: number; data?: string; ack?: string; failed?: string };
      if (msg.data !== undefined) sink.push({ member: id, t: msg.t!, shard: msg.shard!, data: msg.data, seq: msg.seq, arrived: msg.arrived });
      if (msg.ack !== undefined || msg.failed !== undefined) this.acks.push(msg);
    });
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-4000)));
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  /** Sends a command (see member-process.ts) and resolves with its answer. */
  async send(command: object, timeoutMs = 10_000): Promise<{ ack?: string; failed?: string; message?: string }> {
    const before = this.acks.length;
    this.child.stdin!.write(`${JSON.stringify(command)}\n`);
    const deadline = Date.now() + timeoutMs;
    while (this.acks.length === before) {
      if (Date.now() > deadline) throw new Error(`no answer to ${JSON.stringify(command)}; stderr:\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.acks[before]!;
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
