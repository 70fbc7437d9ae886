/**
 * The consumer side of the end-to-end benchmark: one rx-kinesumer client from TRIM_HORIZON with
 * auto-commit reads every record of the stream, with `checkpoint()` after a `map`. Prints one
 * JSON line like the baseline's (see measure.ts).
 *
 * WINDOW selects what is measured:
 * - `join` (default): as a user's program starts. The window opens before the clients are
 *   created; the consumer builds its own Kinesis and DynamoDB clients from options, checks the
 *   table, joins the group and takes the shards inside it. Library defaults except
 *   `polling.scanLimit: 10000`, the baseline's Limit. EFO=1 turns `efo: true` on.
 * - `warm`: the figure of earlier versions of this benchmark. Both SDK clients are created and
 *   make one call before the window opens, so their lazy module loading is not counted.
 * - `live`: as `join`, but from LATEST (the default) on a stream that a producer writes to, and
 *   measured in slices after a warm-up (see liveWindow in measure.ts).
 *
 * It runs the library as a service would: the compiled dist/ (end-to-end.ts builds it first), not
 * src/ transpiled on the fly by tsx, whose per-module transforms and source maps would add some
 * 15 MB of RSS that no user pays.
 */
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { KinesisClient, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { map } from 'rxjs';
import { liveWindow, window } from './measure.js';
type Library = typeof import('../../src/index.js');
// BENCH_DIST: another build of the library (say, of the main branch), to compare before and after in one run.
const dist = process.env['BENCH_DIST'] ?? fileURLToPath(new URL('../../dist', import.meta.url));
const { checkpoint, createKinesumer, DynamoDBStateStore }: Library = await import(pathToFileURL(join(resolve(dist), 'index.js')).href);

const local = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
const expected = Number(process.env['EXPECTED']);
const stream = process.env['STREAM']!;
const mode = process.env['WINDOW'] ?? 'join';
const efo = process.env['EFO'] === '1';
const measured = window(`consumer-${mode}${efo ? '-efo' : ''}`);

const configure = async () => {
  if (mode === 'warm') {
    const kinesis = new KinesisClient({ endpoint: process.env['KINESIS_ENDPOINT']!, ...local, requestHandler: new NodeHttpHandler() });
    const stateStore = new DynamoDBStateStore({ table: process.env['TABLE']!, endpoint: process.env['DYNAMODB_ENDPOINT']!, ...local });
    await kinesis.send(new ListShardsCommand({ StreamName: stream }));
    await stateStore.ready();
    const consumer = createKinesumer({
      app: process.env['APP']!,
      kinesis,
      stateStore,
      initialPosition: 'TRIM_HORIZON',
      // pages as big as the baseline's: the in-flight bound must hold one
      polling: { scanLimit: 10_000, maxInFlight: 10_000 },
    });
    await measured.start();
    return consumer;
  }
  if (mode === 'join') await measured.start();
  return createKinesumer({
    app: process.env['APP']!,
    kinesis: { endpoint: process.env['KINESIS_ENDPOINT']!, ...local, http1: true },
    stateStore: { table: process.env['TABLE']!, endpoint: process.env['DYNAMODB_ENDPOINT']!, ...local },
    ...(mode === 'join' && { initialPosition: 'TRIM_HORIZON' }),
    polling: { scanLimit: 10_000 },
    // Removed on close (outside the window), so that runs do not pile up registered consumers.
    ...(efo && { efo: { deregisterOnClose: true } }),
  });
};

const consumer = await configure();
let count = 0;
let sum = 0;
// Problems reported on errors$ in the window, by code (a GetRecords call cut off by scanTimeout is KINESIS_TIMEOUT).
const errors: Record<string, number> = {};
// In the live window: the state-store calls by method, and the GetRecords calls (SubscribeToShard subscriptions with EFO).
const requests = () => {
  const snapshot = consumer.metricsSnapshot();
  return { ...snapshot.storeCalls, [efo ? 'SubscribeToShard' : 'GetRecords']: snapshot.shards.reduce((n, s) => n + s.calls, 0) };
};
if (mode === 'live') liveWindow(() => count, `consumer${efo ? '-efo' : ''}`, requests);
await new Promise<void>((resolve, reject) => {
  consumer.errors$.subscribe((err) => {
    errors[err.code] = (errors[err.code] ?? 0) + 1;
    process.stderr.write(`[${err.code}] ${err.message}\n`);
  });
  consumer
    .consume([stream])
    .pipe(
      map((r) => {
        sum += r.data.length;
        return r;
      }),
      checkpoint(consumer),
    )
    .subscribe({
      next: () => {
        if (count === 0) measured.first();
        count += 1;
        if (count === expected) resolve();
      },
      error: reject,
    });
});
const result = await measured.stop(count);
await consumer.close();
console.log(JSON.stringify({ ...result, sum, errors }));
process.exit(0);
