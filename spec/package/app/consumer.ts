/**
 * An application of its own, as the packed-tarball spec installs it: it depends on older AWS SDK
 * clients (3.600.0) than rx-kinesumer's, and hands the library those very clients. It puts a few
 * records with its own Kinesis client, creates the state table with its own DynamoDB client,
 * consumes the records with `processRecords` (which checkpoints them), closes, and prints what it
 * put and what it was given as one JSON line on stdout.
 *
 * Compiled there with tsc against the installed declarations, so it also checks that the
 * application's clients type-check as `kinesis` and `stateStore.client`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createKinesumer, createStateTable, processRecords, type KinesumerRecord } from 'rx-kinesumer';
import { FakeKinesis, localAws } from 'rx-kinesumer/testing';
import { asyncScheduler } from 'rxjs';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`missing ${name}`);
  return value;
};
const stream = env('STREAM');
const table = env('TABLE');

// The application's own clients, from its own copy of the SDK; kinesis-local needs HTTP/1.1.
const kinesis = new KinesisClient({ ...localAws, endpoint: env('KINESIS_ENDPOINT'), requestHandler: new NodeHttpHandler() });
const dynamodb = new DynamoDBClient({ ...localAws, endpoint: env('DYNAMODB_ENDPOINT') });

await kinesis.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 2 }));
for (let i = 0; ; i++) {
  const out = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
  if (out.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') break;
  if (i > 200) throw new Error('stream not ACTIVE');
  await new Promise((resolve) => setTimeout(resolve, 50));
}
const payloads = Array.from({ length: 10 }, (_, i) => `record-${i}`);
const put = await kinesis.send(
  new PutRecordsCommand({ StreamName: stream, Records: payloads.map((p) => ({ PartitionKey: p, Data: new TextEncoder().encode(p) })) }),
);
await createStateTable(dynamodb, table);

const consumer = createKinesumer({
  app: env('APP'),
  kinesis,
  stateStore: { table, client: dynamodb },
  initialPosition: 'TRIM_HORIZON',
  group: { syncInterval: 1000, clientTimeout: 3000 },
});
consumer.errors$.subscribe((err) => process.stderr.write(`[${err.code}] ${err.message}\n`));

const delivered: KinesumerRecord[] = [];
const done = new Promise<void>((resolve, reject) => {
  consumer
    .consume([stream])
    .pipe(processRecords(consumer, async (record) => record))
    .subscribe({
      next: ({ record }) => {
        delivered.push(record);
        if (delivered.length === payloads.length) resolve();
      },
      error: reject,
    });
});
await done;
await consumer.close(); // completes the record stream, commits, releases the shards, leaves the group

// The test kit loads without the emulators installed (they are optional peers).
const fake = new FakeKinesis({ scheduler: asyncScheduler });
fake.createStream('kit', { shards: 1 });

process.stdout.write(
  `${JSON.stringify({
    put: (put.Records ?? []).map((r, i) => ({ data: payloads[i], shardId: r.ShardId, sequenceNumber: r.SequenceNumber })),
    delivered: delivered.map((r) => ({ data: new TextDecoder().decode(r.data), shardId: r.shardId, sequenceNumber: r.sequenceNumber })),
  })}\n`,
);
