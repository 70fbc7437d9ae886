/**
 * The demo's child processes: group members, each a `kinesumer tail` process whose JSON lines are
 * the records it delivered, and the producer (demo-producer.ts). Both are run from source with
 * tsx, so the demo needs no build. Every process is ended by its pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { RecordLine } from '../../src/cli/record-line.js';
import { localAws } from './emulators.js';

/** The repository root: tsx is resolved from there. */
const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const producerScript = fileURLToPath(new URL('./demo-producer.ts', import.meta.url));

/** Credentials and region for the children; both emulators accept any. */
const awsEnv = {
  AWS_REGION: localAws.region,
  AWS_ACCESS_KEY_ID: localAws.credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: localAws.credentials.secretAccessKey,
};

function runTs(script: string, args: readonly string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['--no-warnings', '--import', 'tsx', script, ...args], {
    cwd: root,
    env: { ...process.env, ...awsEnv, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** The end of what a process wrote on stderr, for the report when something went wrong. */
function keepStderr(child: ChildProcess): () => string {
  let text = '';
  child.stderr!.on('data', (chunk: Buffer) => (text = (text + chunk.toString()).slice(-3000)));
  return () => text;
}

/** How the process ended, once its output was read to the end ('close' comes after 'exit'). */
function exitOf(child: ChildProcess): Promise<number | NodeJS.Signals> {
  return new Promise((resolve) => child.once('close', (code, signal) => resolve(code ?? signal ?? 1)));
}

/** Where members find the emulators and the table. */
export interface GroupSetup {
  app: string;
  stream: string;
  table: string;
  kinesisEndpoint: string;
  dynamodbEndpoint: string;
  /** Group timings, ms. */
  syncInterval: number;
  clientTimeout: number;
  commitInterval: number;
}

/** One group member: a `kinesumer tail` process. */
export class TailMember {
  readonly child: ChildProcess;
  /** How the process ended: its exit code or the signal that killed it. */
  readonly exited: Promise<number | NodeJS.Signals>;
  readonly stderr: () => string;
  /** Set once the process exited. */
  exit: number | NodeJS.Signals | undefined;

  /**
   * @param id The member's client id.
   * @param setup The group and where it lives.
   * @param onRecord Called with each line the member printed, when it was read.
   */
  constructor(
    readonly id: string,
    setup: GroupSetup,
    onRecord: (record: RecordLine, receivedAt: number) => void,
  ) {
    this.child = runTs(
      cli,
      [
        'tail',
        ...['--app', setup.app, '--stream', setup.stream, '--table', setup.table, '--client-id', id],
        ...['--from', 'trim_horizon'],
        ...['--sync-interval', String(setup.syncInterval), '--client-timeout', String(setup.clientTimeout)],
        ...['--commit-interval', String(setup.commitInterval)],
      ],
      { KINESUMER_KINESIS_ENDPOINT: setup.kinesisEndpoint, KINESUMER_DYNAMODB_ENDPOINT: setup.dynamodbEndpoint },
    );
    this.stderr = keepStderr(this.child);
    this.exited = exitOf(this.child).then((exit) => (this.exit = exit));
    createInterface({ input: this.child.stdout! }).on('line', (line) => onRecord(JSON.parse(line) as RecordLine, Date.now()));
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** SIGKILL: no commit, no release, no goodbye; the group notices after the client timeout. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM: the member commits, releases its shards and leaves. Resolves with how it exited. */
  async stop(timeoutMs = 15_000): Promise<number | NodeJS.Signals> {
    if (this.running) {
      const force = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
      this.child.kill('SIGTERM');
      await this.exited;
      clearTimeout(force);
    }
    return this.exit!;
  }
}

/** The producer process. */
export class Producer {
  readonly child: ChildProcess;
  readonly exited: Promise<number | NodeJS.Signals>;
  readonly stderr: () => string;
  private finished!: () => void;
  /** Resolves once the producer printed its last line. */
  readonly done = new Promise<void>((resolve) => (this.finished = resolve));

  /**
   * @param onAcked Called with the payloads of each batch Kinesis acknowledged.
   */
  constructor(kinesisEndpoint: string, stream: string, rate: number, onAcked: (payloads: string[]) => void) {
    this.child = runTs(producerScript, [kinesisEndpoint, stream, String(rate)]);
    this.stderr = keepStderr(this.child);
    this.exited = exitOf(this.child);
    void this.exited.then(() => this.finished());
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const message = JSON.parse(line) as { acked?: string[]; done?: boolean };
      if (message.acked) onAcked(message.acked);
      if (message.done) this.finished();
    });
  }

  /** Stops producing: the batch in flight is finished and reported. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await this.done;
    await this.exited;
  }

  /** Ends the process at once (cleanup after a failure). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
