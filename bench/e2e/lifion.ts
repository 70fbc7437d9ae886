/**
 * lifion-kinesis in polling mode, as the peer to compare with: the same window as the consumer's
 * `join` (it opens before the client is created; the client joins its group, takes the leases and
 * reads every record), its defaults (10,000 records per GetRecords call, automatic checkpoints)
 * except TRIM_HORIZON. Prints one JSON line like the other children (see measure.ts).
 *
 * lifion-kinesis is not a dependency of this project: LIFION_DIR names a directory where it is
 * installed (`npm install lifion-kinesis@1.3.3` there). With LIFION_PREPARE=1 the child only
 * starts and stops a client of another group, so that lifion's state table exists before the
 * measured runs (it creates the table itself; that is not what the runs compare). WINDOW=live:
 * from LATEST (its default) on a stream a producer writes to, measured in slices (see measure.ts).
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { liveWindow, window } from './measure.js';

interface LifionRecord {
  data: string | Buffer | object;
}
interface LifionKinesis {
  on(event: 'data', listener: (data: { records: LifionRecord[] }) => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
  startConsumer(): Promise<void>;
  stopConsumer(): void;
}
type LifionConstructor = new (options: Record<string, unknown>) => LifionKinesis;

const Kinesis = createRequire(join(process.env['LIFION_DIR']!, 'package.json'))('lifion-kinesis') as LifionConstructor;
const expected = Number(process.env['EXPECTED']);
const prepare = process.env['LIFION_PREPARE'] === '1';
const live = process.env['WINDOW'] === 'live';
const measured = window('lifion');
const local = { region: 'us-east-1', accessKeyId: 'local', secretAccessKey: 'local' };

if (!live) await measured.start();
const client = new Kinesis({
  streamName: process.env['STREAM']!,
  consumerGroup: prepare ? 'lifion-prepare' : process.env['APP']!,
  endpoint: process.env['KINESIS_ENDPOINT']!,
  ...local,
  dynamoDb: { endpoint: process.env['DYNAMODB_ENDPOINT']!, tableName: 'lifion-state', ...local },
  createStreamIfNeeded: false,
  ...(!live && { initialPositionInStream: 'TRIM_HORIZON' }),
});
let count = 0;
let sum = 0;
const done = new Promise<void>((resolve, reject) => {
  client.on('error', reject);
  client.on('data', ({ records }) => {
    if (count === 0) measured.first();
    for (const r of records) sum += typeof r.data === 'string' ? r.data.length : Buffer.isBuffer(r.data) ? r.data.length : 1;
    count += records.length;
    if (count >= expected) resolve();
  });
});
if (live) liveWindow(() => count, 'lifion');
await client.startConsumer();
if (!prepare) await done;
const result = await measured.stop(count);
client.stopConsumer();
if (!prepare && count !== expected) throw new Error(`lifion-kinesis read ${count} of ${expected}`);
console.log(JSON.stringify({ ...result, sum }));
process.exit(0);
