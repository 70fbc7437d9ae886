/**
 * A basic consumer-group member: consume streams, handle each record, checkpoint after handling,
 * close gracefully on SIGINT/SIGTERM.
 *
 *   KINESUMER_APP=myapp KINESUMER_STREAMS=orders,payments KINESUMER_TABLE=kinesumer-state-store \
 *   AWS_REGION=eu-west-1 npx tsx examples/basic-consumer.ts
 *
 * Against local emulators, set KINESUMER_KINESIS_ENDPOINT and KINESUMER_DYNAMODB_ENDPOINT too.
 */
import { concatMap } from 'rxjs';
import { checkpoint, createKinesumer, type KinesumerRecord } from '../src/index.js';

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) {
    console.error(`missing environment variable ${name}`);
    process.exit(2);
  }
  return value;
};

const region = process.env['AWS_REGION'] ?? 'us-east-1';
const kinesisEndpoint = process.env['KINESUMER_KINESIS_ENDPOINT'];
const dynamoEndpoint = process.env['KINESUMER_DYNAMODB_ENDPOINT'];

const consumer = createKinesumer({
  app: env('KINESUMER_APP'),
  kinesis: { region, ...(kinesisEndpoint && { endpoint: kinesisEndpoint, http1: true }) },
  stateStore: { table: env('KINESUMER_TABLE', 'kinesumer-state-store'), region, ...(dynamoEndpoint && { endpoint: dynamoEndpoint }) },
  initialPosition: 'TRIM_HORIZON',
});

async function handle(record: KinesumerRecord): Promise<KinesumerRecord> {
  // Your processing goes here; the record is checkpointed only after this resolves.
  console.log(`${record.stream} ${record.shardId} ${record.sequenceNumber} ${record.partitionKey}`);
  return record;
}

consumer.errors$.subscribe((err) => console.error(`[${err.code}] ${err.message}`));
consumer.owned$.subscribe((owned) => console.error('owned shards:', JSON.stringify(owned)));

consumer
  .consume(env('KINESUMER_STREAMS').split(','))
  .pipe(concatMap(handle), checkpoint(consumer))
  .subscribe({ error: (err) => (console.error('consumer stopped:', err.message), process.exit(1)) });

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    consumer.close().then(() => process.exit(0));
  });
}
