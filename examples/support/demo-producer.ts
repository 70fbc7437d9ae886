/**
 * The demo's producer, a process of its own: writes `record-<n>` (also the partition key, so the
 * records spread over every shard) at a steady rate with PutRecords, retrying records Kinesis
 * refused, and prints one JSON line per acknowledged batch: `{"acked":["record-0",...]}`.
 * SIGTERM: finish the batch in flight, print `{"done":true,...}`, exit 0.
 *
 *   node --import tsx examples/support/demo-producer.ts KINESIS_ENDPOINT STREAM [RECORDS_PER_SECOND]
 */
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { localKinesisClient } from './local-kinesis.js';

const [endpoint, stream, rateText = '100'] = process.argv.slice(2);
if (endpoint === undefined || stream === undefined) {
  process.stderr.write('usage: demo-producer.ts KINESIS_ENDPOINT STREAM [RECORDS_PER_SECOND]\n');
  process.exit(2);
}
const TICK = 100;
const perTick = Math.max(1, Math.round((Number(rateText) * TICK) / 1000));
const client = localKinesisClient(endpoint);

let next = 0;
/** Records Kinesis refused, sent again first. */
const retry: string[] = [];
let stopping = false;

async function putBatch(): Promise<void> {
  // PutRecords takes at most 500 records; retries go first.
  const batch = [...retry.splice(0, 500 - perTick), ...Array.from({ length: perTick }, () => `record-${next++}`)];
  try {
    const out = await client.send(
      new PutRecordsCommand({ StreamName: stream, Records: batch.map((p) => ({ Data: Buffer.from(p), PartitionKey: p })) }),
    );
    const failed = (i: number) => out.Records?.[i] === undefined || out.Records[i]!.ErrorCode !== undefined;
    const acked = batch.filter((_, i) => !failed(i));
    retry.push(...batch.filter((_, i) => failed(i)));
    if (acked.length > 0) process.stdout.write(`${JSON.stringify({ acked })}\n`);
  } catch (err) {
    // The whole call failed: send it all again.
    retry.push(...batch);
    process.stderr.write(`put failed, retrying: ${(err as Error).message}\n`);
  }
}

// One batch at a time, every TICK ms: a slow put delays the next one instead of piling up.
// Records never acknowledged (retries left at the end) were not produced, as far as the demo counts.
async function run(): Promise<void> {
  while (!stopping) {
    const started = Date.now();
    await putBatch();
    await new Promise((r) => setTimeout(r, Math.max(0, TICK - (Date.now() - started))));
  }
  process.stdout.write(`${JSON.stringify({ done: true, unacknowledged: retry.length })}\n`);
  client.destroy();
}

process.once('SIGTERM', () => (stopping = true));
await run();
