/**
 * Kinesis on kinesis-local for the demo: a client that speaks HTTP/1.1 (kinesis-local answers
 * HTTP/2 with a protocol error), creating a stream, listing its open shards, and splitting one.
 */
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  ListShardsCommand,
  SplitShardCommand,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { localAws } from './emulators.js';

/** A Kinesis client for kinesis-local at `endpoint`. */
export function localKinesisClient(endpoint: string): KinesisClient {
  return new KinesisClient({ ...localAws, endpoint, requestHandler: new NodeHttpHandler() });
}

/** Waits until the stream is ACTIVE (after CreateStream or SplitShard). */
export async function waitForActive(client: KinesisClient, stream: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const out = await client.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
    if (out.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error(`stream ${stream} is not ACTIVE after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Creates a stream of `shards` shards and waits until it is ACTIVE. */
export async function createStream(client: KinesisClient, stream: string, shards: number): Promise<void> {
  await client.send(new CreateStreamCommand({ StreamName: stream, ShardCount: shards }));
  await waitForActive(client, stream);
}

/** Every shard of the stream, open and closed. */
export async function listShards(client: KinesisClient, stream: string): Promise<Shard[]> {
  const shards: Shard[] = [];
  let next: string | undefined;
  do {
    const out = await client.send(new ListShardsCommand(next === undefined ? { StreamName: stream } : { NextToken: next }));
    shards.push(...(out.Shards ?? []));
    next = out.NextToken ?? undefined;
  } while (next !== undefined);
  return shards;
}

/** Whether Kinesis still writes to the shard (it has no ending sequence number). */
export function isOpen(shard: Shard): boolean {
  return shard.SequenceNumberRange?.EndingSequenceNumber == null;
}

/** Splits an open shard at the middle of its hash-key range and waits until the stream is ACTIVE. */
export async function splitShard(client: KinesisClient, stream: string, shardId: string): Promise<void> {
  const shard = (await listShards(client, stream)).find((s) => s.ShardId === shardId);
  if (shard?.HashKeyRange?.StartingHashKey === undefined || shard.HashKeyRange.EndingHashKey === undefined) {
    throw new Error(`shard ${shardId} of ${stream} has no hash-key range`);
  }
  const start = BigInt(shard.HashKeyRange.StartingHashKey);
  const end = BigInt(shard.HashKeyRange.EndingHashKey);
  await client.send(
    new SplitShardCommand({ StreamName: stream, ShardToSplit: shardId, NewStartingHashKey: ((start + end + 1n) / 2n).toString() }),
  );
  await waitForActive(client, stream);
}
