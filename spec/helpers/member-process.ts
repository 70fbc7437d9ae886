/**
 * One group member in its own process, for tests and benchmarks that kill or restart members.
 * Configured by environment; prints one JSON line per processed record to stdout
 * (`{"t":ms,"shard":id,"data":text}`), `{"ready":true}` once consuming, and `{"closed":true}`
 * after a graceful close on SIGTERM.
 *
 *   MEMBER_APP MEMBER_ID MEMBER_STREAM KINESIS_ENDPOINT DYNAMODB_ENDPOINT MEMBER_TABLE
 *   [MEMBER_SYNC_INTERVAL MEMBER_CLIENT_TIMEOUT MEMBER_COMMIT_INTERVAL MEMBER_IDLE_INTERVAL]
 */
import { tap } from 'rxjs';
import { checkpoint } from '../../src/checkpoint/checkpoint.js';
import { createKinesumer } from '../../src/index.js';
import { localAws } from './emulators.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`member-process: ${name} is not set`);
  return value;
};
const num = (name: string): number | undefined => (process.env[name] ? Number(process.env[name]) : undefined);

const group = { syncInterval: num('MEMBER_SYNC_INTERVAL'), clientTimeout: num('MEMBER_CLIENT_TIMEOUT') };
const consumer = createKinesumer({
  app: env('MEMBER_APP'),
  clientId: env('MEMBER_ID'),
  kinesis: { endpoint: env('KINESIS_ENDPOINT'), ...localAws, http1: true },
  stateStore: { table: env('MEMBER_TABLE'), endpoint: env('DYNAMODB_ENDPOINT'), ...localAws },
  initialPosition: 'TRIM_HORIZON',
  group: Object.fromEntries(Object.entries(group).filter(([, v]) => v !== undefined)),
  ...(num('MEMBER_COMMIT_INTERVAL') && { commit: { interval: num('MEMBER_COMMIT_INTERVAL')! } }),
  ...(num('MEMBER_IDLE_INTERVAL') && { polling: { idleInterval: num('MEMBER_IDLE_INTERVAL')! } }),
});

const decoder = new TextDecoder();
consumer.errors$.subscribe((err) => process.stderr.write(`[${err.code}] ${err.message}\n`));
consumer
  .consume([env('MEMBER_STREAM')])
  .pipe(
    tap((r) => process.stdout.write(`${JSON.stringify({ t: Date.now(), shard: r.shardId, data: decoder.decode(r.data) })}\n`)),
    checkpoint(consumer),
  )
  .subscribe({ error: (err: Error) => (process.stderr.write(`fatal: ${err.message}\n`), process.exit(1)) });
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);

process.once('SIGTERM', () => {
  void consumer.close().then(() => {
    process.stdout.write(`${JSON.stringify({ closed: true })}\n`);
    process.exit(0);
  });
});
