/**
 * The baseline of the end-to-end benchmark: a plain loop of GetShardIterator(TRIM_HORIZON) +
 * GetRecords(Limit 10000) over every shard, in this process, with the same SDK client settings as
 * the consumer. Prints one JSON line: records, wall ms, CPU µs, peak RSS bytes.
 */
import { GetRecordsCommand, GetShardIteratorCommand, KinesisClient, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { profileWindow } from './window-profile.js';

const endpoint = process.env['KINESIS_ENDPOINT']!;
const stream = process.env['STREAM']!;
const expected = Number(process.env['EXPECTED']);

let peak = process.memoryUsage.rss();
// process.memoryUsage.rss() only reads the RSS; memoryUsage() also walks the V8 heap, which costs CPU in the measured window
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
const client = new KinesisClient({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  requestHandler: new NodeHttpHandler(),
});

// Warm-up: the client loads its lazy modules before the clock starts, as the consumer's do.
await client.send(new ListShardsCommand({ StreamName: stream }));
const stopProfile = await profileWindow('baseline');
const cpu = process.cpuUsage();
const start = performance.now();
const shards = (await client.send(new ListShardsCommand({ StreamName: stream }))).Shards ?? [];
let count = 0;
let sum = 0;
await Promise.all(
  shards.map(async (shard) => {
    let iterator = (await client.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' })))
      .ShardIterator;
    while (iterator) {
      const out = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      for (const r of out.Records ?? []) sum += r.Data!.length;
      count += out.Records?.length ?? 0;
      if ((out.Records?.length ?? 0) === 0 && (out.MillisBehindLatest ?? 0) === 0) break;
      iterator = out.NextShardIterator;
    }
  }),
);
const wall = performance.now() - start;
const used = process.cpuUsage(cpu);
clearInterval(sampler);
await stopProfile();
peak = Math.max(peak, process.memoryUsage.rss());
if (count !== expected) throw new Error(`baseline read ${count} of ${expected}`);
console.log(JSON.stringify({ records: count, wallMs: wall, cpuUs: used.user + used.system, peakRss: peak, sum }));
