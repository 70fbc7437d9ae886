/**
 * The baseline of the end-to-end benchmark: a plain loop of GetShardIterator + GetRecords
 * (Limit 10000) over every shard, in this process, with the same SDK client settings as the
 * consumer. Prints one JSON line (see measure.ts).
 *
 * WINDOW=join (default): the client is created inside the window, as a program starts, and the
 * loop reads the stream from TRIM_HORIZON until every shard is drained. WINDOW=warm: the same,
 * but the client is created and makes one call before the window opens. WINDOW=live: from
 * LATEST, polling as the library does by default (the next call at once after a full page, 200 ms
 * after the last one at the earliest, 1 s after an empty or short page), for a live window.
 * DYNAMO_FLOOR=1 (with WINDOW=join): the loop first makes the requests of a group join on a
 * DynamoDB client of its own (see dynamo-floor.ts).
 */
import { GetRecordsCommand, GetShardIteratorCommand, KinesisClient, ListShardsCommand, type ShardIteratorType } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { groupRequests, joinRequests } from './dynamo-floor.js';
import { liveWindow, window } from './measure.js';

const endpoint = process.env['KINESIS_ENDPOINT']!;
const stream = process.env['STREAM']!;
const expected = Number(process.env['EXPECTED']);
const mode = process.env['WINDOW'] ?? 'join';
const LIMIT = 10_000;
const measured = window(`baseline-${mode}${process.env['DYNAMO_FLOOR'] === '1' ? '-floor' : ''}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

const newClient = () =>
  new KinesisClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler: new NodeHttpHandler(),
  });
let client: KinesisClient;
if (mode === 'warm') {
  client = newClient();
  // Warm-up: the client loads its lazy modules before the window opens, as the consumer's do.
  await client.send(new ListShardsCommand({ StreamName: stream }));
  await measured.start();
} else {
  if (mode === 'join') await measured.start();
  client = newClient();
}
const shards = (await client.send(new ListShardsCommand({ StreamName: stream }))).Shards ?? [];
if (process.env['DYNAMO_FLOOR'] === '1') {
  await joinRequests(process.env['DYNAMODB_ENDPOINT']!, process.env['TABLE']!, process.env['APP']!, stream, shards.map((s) => s.ShardId!));
}
let count = 0;
let sum = 0;
let calls = 0;
if (mode === 'live') liveWindow(() => count, `baseline${process.env['GROUP_FLOOR'] === '1' ? '-floor' : ''}`, () => ({ GetRecords: calls }));
// GROUP_FLOOR=1 (live): the group's steady-state requests as plain SDK calls too (see groupRequests).
if (mode === 'live' && process.env['GROUP_FLOOR'] === '1') {
  groupRequests(process.env['DYNAMODB_ENDPOINT']!, endpoint, process.env['TABLE']!, process.env['APP']!, stream, shards.map((s) => s.ShardId!));
}
const from: ShardIteratorType = mode === 'live' ? 'LATEST' : 'TRIM_HORIZON';
await Promise.all(
  shards.map(async (shard) => {
    let iterator = (await client.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shard.ShardId, ShardIteratorType: from }))).ShardIterator;
    while (iterator) {
      const calledAt = performance.now();
      const out = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: LIMIT }));
      calls += 1;
      const records = out.Records ?? [];
      if (count === 0 && records.length > 0) measured.first();
      for (const r of records) sum += r.Data!.length;
      count += records.length;
      iterator = out.NextShardIterator;
      const more = records.length >= LIMIT || (out.MillisBehindLatest ?? 0) > 0;
      if (mode !== 'live') {
        if (records.length === 0 && !more) break; // drained
      } else await sleep(more ? calledAt + 200 - performance.now() : 1000);
    }
  }),
);
const result = await measured.stop(count);
if (count !== expected) throw new Error(`baseline read ${count} of ${expected}`);
console.log(JSON.stringify({ ...result, sum }));
