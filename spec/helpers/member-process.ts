/**
 * One group member in its own process, for tests and benchmarks that kill or restart members.
 * Configured by environment; prints one JSON line per processed record to stdout
 * (`{"t":ms,"shard":id,"seq":sequenceNumber,"arrived":ms,"data":text}`), `{"ready":true}` once
 * consuming, and `{"closed":true}` after a graceful close on SIGTERM.
 *
 *   MEMBER_APP MEMBER_ID MEMBER_STREAM KINESIS_ENDPOINT DYNAMODB_ENDPOINT MEMBER_TABLE
 *   [MEMBER_SYNC_INTERVAL MEMBER_CLIENT_TIMEOUT MEMBER_COMMIT_INTERVAL MEMBER_IDLE_INTERVAL
 *    MEMBER_DELAY_MS (processing time per record) MEMBER_MAX_IN_FLIGHT MEMBER_STALL_TIMEOUT
 *    MEMBER_INITIAL_POSITION (latest | trim_horizon, default trim_horizon)]
 *
 * Commands, one JSON line each on stdin, answered with `{"ack":<command>}` (or `{"failed":...}`):
 *   {"pause":[stream?, shardIds?]}   consumer.pause(...)
 *   {"resume":[stream?, shardIds?]}  consumer.resume(...)
 *   {"seek":[stream, to, options?]}  consumer.seek(...); `to` an ISO time is passed as a Date
 */
import { createInterface } from 'node:readline';
import { concatMap, delay, of, tap } from 'rxjs';
import { checkpoint } from '../../src/checkpoint/checkpoint.js';
import { createKinesumer } from '../../src/index.js';
import { localAws } from './emulators.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`member-process: ${name} is not set`);
  return value;
};
const num = (name: string): number | undefined => (process.env[name] ? Number(process.env[name]) : undefined);
const defined = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

const group = defined({ syncInterval: num('MEMBER_SYNC_INTERVAL'), clientTimeout: num('MEMBER_CLIENT_TIMEOUT') });
const polling = defined({ idleInterval: num('MEMBER_IDLE_INTERVAL'), maxInFlight: num('MEMBER_MAX_IN_FLIGHT') });
const metrics = defined({ stallTimeout: num('MEMBER_STALL_TIMEOUT') });
const consumer = createKinesumer({
  app: env('MEMBER_APP'),
  clientId: env('MEMBER_ID'),
  kinesis: { endpoint: env('KINESIS_ENDPOINT'), ...localAws, http1: true },
  stateStore: { table: env('MEMBER_TABLE'), endpoint: env('DYNAMODB_ENDPOINT'), ...localAws },
  initialPosition: process.env['MEMBER_INITIAL_POSITION'] === 'latest' ? 'LATEST' : 'TRIM_HORIZON',
  group,
  ...(num('MEMBER_COMMIT_INTERVAL') && { commit: { interval: num('MEMBER_COMMIT_INTERVAL')! } }),
  polling,
  metrics,
});

const decoder = new TextDecoder();
const delayMs = num('MEMBER_DELAY_MS') ?? 0;
const say = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);
consumer.errors$.subscribe((err) => process.stderr.write(`[${err.code}] ${err.message}\n`));
consumer
  .consume([env('MEMBER_STREAM')])
  .pipe(
    concatMap((r) => (delayMs > 0 ? of(r).pipe(delay(delayMs)) : of(r))),
    tap((r) =>
      say({ t: Date.now(), shard: r.shardId, seq: r.sequenceNumber, arrived: r.approximateArrivalTimestamp?.getTime(), data: decoder.decode(r.data) }),
    ),
    checkpoint(consumer),
  )
  .subscribe({ error: (err: Error) => (process.stderr.write(`fatal: ${err.message}\n`), process.exit(1)) });
say({ ready: true });

createInterface({ input: process.stdin }).on('line', (line) => {
  void (async () => {
    const command = JSON.parse(line) as { pause?: unknown[]; resume?: unknown[]; seek?: [string, string, object?] };
    try {
      if (command.pause) consumer.pause(...(command.pause as [string?, string[]?]));
      if (command.resume) consumer.resume(...(command.resume as [string?, string[]?]));
      if (command.seek) {
        const [stream, to, options] = command.seek;
        const seek = (consumer as unknown as { seek?: (s: string, to: unknown, o?: object) => Promise<unknown> }).seek;
        if (seek === undefined) throw new Error('this consumer has no seek()');
        await seek.call(consumer, stream, /^\d{4}-/.test(to) ? new Date(to) : to, options);
      }
      say({ ack: Object.keys(command)[0] });
    } catch (err) {
      say({ failed: Object.keys(command)[0], message: err instanceof Error ? err.message : String(err) });
    }
  })();
});

process.once('SIGTERM', () => {
  void consumer.close().then(() => {
    say({ closed: true });
    process.exit(0);
  });
});
