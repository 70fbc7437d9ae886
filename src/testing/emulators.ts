/**
 * Starts the real emulators the integration tests and the demo run against, each on a free port, and stops
 * them by pid (SIGTERM, then SIGKILL after a short grace: kinesis-local ignores SIGTERM).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** A running emulator. */
export interface Emulator {
  endpoint: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Credentials and region both emulators accept. */
export const localAws = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const;

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, name: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  child.once('exit', () => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${name} exited before listening on port ${port}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not listen on port ${port} within ${timeoutMs} ms`);
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const kill = setTimeout(() => child.kill('SIGKILL'), 1_000);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill('SIGTERM');
    });
}

function collectOutput(child: ChildProcess): () => string {
  let out = '';
  const add = (chunk: Buffer) => {
    out = (out + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return () => out;
}

/** Waits for a spawned emulator to listen; on failure kills it and reports its last output. */
async function started(child: ChildProcess, port: number, name: string): Promise<Emulator> {
  const output = collectOutput(child);
  try {
    await waitForPort(port, child, name);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${output()}`);
  }
  return { endpoint: `http://127.0.0.1:${port}`, port, process: child, stop: stopper(child) };
}

/** Starts dynalite (in memory) on a free port. */
export async function startDynalite(): Promise<Emulator> {
  const port = await freePort();
  const cli = join(dirname(require.resolve('dynalite/package.json')), 'cli.js');
  const child = spawn(process.execPath, [cli, '--port', String(port), '--createTableMs', '50', '--deleteTableMs', '50'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return started(child, port, 'dynalite');
}

/** Options for kinesis-local, passed as its environment variables. */
export interface KinesisLocalOptions {
  /** Milliseconds a new stream stays CREATING. Default here 100 (the emulator's own is 500). */
  createStreamDuration?: number;
  splitShardDuration?: number;
  mergeShardsDuration?: number;
  shardLimit?: number;
}

/** Starts kinesis-local (plain HTTP) on a free port. */
export async function startKinesisLocal(options: KinesisLocalOptions = {}): Promise<Emulator> {
  const port = await freePort();
  const tlsPort = await freePort();
  const root = dirname(require.resolve('kinesis-local/package.json'));
  const ms = (n: number) => `${n}ms`;
  const child = spawn(process.execPath, [join(root, 'main.js')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      KINESIS_MOCK_CERT_PATH: join(root, 'server.json'),
      KINESIS_MOCK_PLAIN_PORT: String(port),
      KINESIS_MOCK_TLS_PORT: String(tlsPort),
      LOG_LEVEL: 'WARN',
      CREATE_STREAM_DURATION: ms(options.createStreamDuration ?? 100),
      SPLIT_SHARD_DURATION: ms(options.splitShardDuration ?? 200),
      MERGE_SHARDS_DURATION: ms(options.mergeShardsDuration ?? 200),
      SHARD_LIMIT: String(options.shardLimit ?? 200),
    },
  });
  return started(child, port, 'kinesis-local');
}
