/**
 * The consumer side of the end-to-end benchmark: one rx-kinesumer client from TRIM_HORIZON with
 * auto-commit reads every record of the stream. Prints one JSON line like the baseline's.
 *
 * It runs the library as a service would: the compiled dist/ (end-to-end.ts builds it first), not
 * src/ transpiled on the fly by tsx, whose per-module transforms and source maps would add some
 * 15 MB of RSS that no user pays.
 */
import { KinesisClient, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { tap } from 'rxjs';
import { profileWindow } from './window-profile.js';
type Library = typeof import('../../src/index.js');
const { checkpoint, createKinesumer, DynamoDBStateStore }: Library = await import(new URL('../../dist/index.js', import.meta.url).href);

const local = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
const expected = Number(process.env['EXPECTED']);

let peak = process.memoryUsage.rss();
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
// Warm-up, like the baseline's: both SDK clients load their lazy modules before the clock starts.
const kinesis = new KinesisClient({ endpoint: process.env['KINESIS_ENDPOINT']!, ...local, requestHandler: new NodeHttpHandler() });
const store = new DynamoDBStateStore({ table: process.env['TABLE']!, endpoint: process.env['DYNAMODB_ENDPOINT']!, ...local });
await kinesis.send(new ListShardsCommand({ StreamName: process.env['STREAM']! }));
await store.ready();
const consumer = createKinesumer({
  app: process.env['APP']!,
  kinesis,
  stateStore: store,
  initialPosition: 'TRIM_HORIZON',
  // Pages as big as the baseline's. kinesis-local answers one call at a time, so with 8 shards a
  // 10,000-record page can take longer than the 2 s default scanTimeout: allow what a slow link would need.
  polling: { scanLimit: 10_000, maxInFlight: 10_000, scanTimeout: 10_000 },
});

const stopProfile = await profileWindow('consumer');
const cpu = process.cpuUsage();
const start = performance.now();
let count = 0;
let sum = 0;
await new Promise<void>((resolve, reject) => {
  const sub = consumer
    .consume([process.env['STREAM']!])
    .pipe(
      tap((r) => (sum += r.data.length)),
      checkpoint(consumer),
    )
    .subscribe({
      next: () => {
        count += 1;
        if (count === expected) resolve();
      },
      error: reject,
    });
  consumer.errors$.subscribe((err) => process.stderr.write(`[${err.code}] ${err.message}\n`));
  void sub;
});
const wall = performance.now() - start;
const used = process.cpuUsage(cpu);
clearInterval(sampler);
await stopProfile();
peak = Math.max(peak, process.memoryUsage.rss());
await consumer.close();
console.log(JSON.stringify({ records: count, wallMs: wall, cpuUs: used.user + used.system, peakRss: peak, sum }));
process.exit(0);
