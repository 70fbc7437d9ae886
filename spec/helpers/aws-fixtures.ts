import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { localAws } from './emulators.js';

/** A Kinesis client for kinesis-local (HTTP/1.1: it answers HTTP/2 with a protocol error). */
export function localKinesisClient(endpoint: string): KinesisClient {
  return new KinesisClient({ ...localAws, endpoint, requestHandler: new NodeHttpHandler() });
}

export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ ...localAws, endpoint });
}

let counter = 0;
/** A stream name unique in this process. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

/** Creates a stream and waits until it is ACTIVE. */
export async function createStream(client: KinesisClient, name: string, shards: number): Promise<void> {
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  await waitUntilActive(client, name);
}

/**
 * Waits until the stream is ACTIVE: after CreateStream, and after a split or merge (the stream is
 * UPDATING meanwhile, and Kinesis refuses the next reshard with ResourceInUseException).
 */
export async function waitUntilActive(client: KinesisClient, name: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const out = await client.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (out.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`stream ${name} did not become ACTIVE`);
}

/** Puts `count` records `${prefix}-${i}` with partition keys spread over the hash range. */
export async function putRecords(client: KinesisClient, stream: string, prefix: string, count: number): Promise<string[]> {
  const payloads: string[] = [];
  for (let start = 0; start < count; start += 500) {
    const batch = Array.from({ length: Math.min(500, count - start) }, (_, i) => `${prefix}-${start + i}`);
    const out = await client.send(
      new PutRecordsCommand({
        StreamName: stream,
        Records: batch.map((p) => ({ Data: new TextEncoder().encode(p), PartitionKey: p })),
      }),
    );
    if (out.FailedRecordCount) throw new Error(`${out.FailedRecordCount} records failed to put`);
    payloads.push(...batch);
  }
  return payloads;
}

/** Resolves when `predicate` holds, polling; rejects after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
