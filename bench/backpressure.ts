/**
 * Backpressure: a subscriber that takes 5 ms per record (concatMap) on one shard with a 50,000
 * record backlog of 1 KB records. The fake Kinesis seam builds each page when it is asked for, as
 * the network would, so memory held is what the library holds. Runs in real time, in-process:
 *   - with checkpoint() in the pipeline (backpressure on, default polling.maxInFlight 4000);
 *   - without checkpoint() (nothing tells the reader how far processing got: it reads ahead).
 * Reports the largest number of records fetched but not yet processed, and peak RSS growth over
 * the level after the first thousand records.
 *
 *   npm run bench -- backpressure      (about 40 s; BENCH_SECONDS per variant, default 20)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { _Record } from '@aws-sdk/client-kinesis';
import { NEVER, concat, concatMap, defer, delay, of, tap, type Observable } from 'rxjs';
import { checkpoint, createKinesumer, MemoryStateStore, type KinesisApi, type RecordsPage } from '../src/index.js';

const BACKLOG = 50_000;
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 20);

function backlogKinesis(): KinesisApi {
  return {
    listShards: () =>
      of([{ shardId: 'shardId-000000000000', closed: false, parentShardId: undefined, adjacentParentShardId: undefined, startingSequenceNumber: undefined }]),
    getShardIterator: () => concat(of('0'), NEVER),
    getRecords: (_s, _id, iterator, limit): Observable<RecordsPage> =>
      defer(() => {
        const from = Number(iterator);
        const count = Math.max(0, Math.min(limit, BACKLOG - from));
        const records: _Record[] = Array.from({ length: count }, (_, i) => ({
          SequenceNumber: `49590000${String(from + i).padStart(20, '0')}`,
          PartitionKey: `key-${(from + i) % 100}`,
          Data: new Uint8Array(1024).fill((from + i) % 251),
          ApproximateArrivalTimestamp: new Date(),
        }));
        const next = from + count;
        return of({ records, nextShardIterator: String(next), millisBehindLatest: next < BACKLOG ? 60_000 : 0 });
      }),
  };
}

interface Result {
  variant: string;
  processed: number;
  fetched: number;
  peakInFlight: number;
  rssAtFirstThousandMb: number;
  peakRssMb: number;
  growthMb: number;
}

async function run(variant: 'checkpoint()' | 'no checkpoint()'): Promise<Result> {
  global.gc?.();
  const consumer = createKinesumer({
    app: 'bench',
    clientId: 'only',
    kinesis: backlogKinesis(),
    stateStore: new MemoryStateStore(),
    initialPosition: 'TRIM_HORIZON',
  });
  let fetched = 0;
  let processed = 0;
  let peakInFlight = 0;
  let rssAtThousand = 0;
  let peakRss = 0;
  const sample = () => {
    const rss = process.memoryUsage().rss;
    if (processed >= 1000) {
      if (rssAtThousand === 0) rssAtThousand = rss;
      peakRss = Math.max(peakRss, rss);
    }
  };
  const sampler = setInterval(sample, 100);
  const slow = concatMap((r: Parameters<typeof consumer.markRecord>[0]) => of(r).pipe(delay(5)));
  const pipeline = consumer.consume(['s']).pipe(
    tap(() => {
      fetched += 1;
      peakInFlight = Math.max(peakInFlight, fetched - processed);
    }),
    slow,
    tap(() => (processed += 1)),
  );
  const sub = (variant === 'checkpoint()' ? pipeline.pipe(checkpoint(consumer)) : pipeline).subscribe();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  clearInterval(sampler);
  sample();
  sub.unsubscribe();
  await consumer.close({ drainTimeout: 1 });
  return {
    variant,
    processed,
    fetched,
    peakInFlight,
    rssAtFirstThousandMb: +(rssAtThousand / 2 ** 20).toFixed(1),
    peakRssMb: +(peakRss / 2 ** 20).toFixed(1),
    growthMb: +((peakRss - rssAtThousand) / 2 ** 20).toFixed(1),
  };
}

const results = [await run('checkpoint()'), await run('no checkpoint()')];
console.log(`\nbackpressure: 5 ms per record, one shard, ${BACKLOG} record backlog of 1 KB records, ${SECONDS} s per variant\n`);
console.log('pipeline            processed   fetched   peak in flight   RSS after 1000 MB   peak RSS MB   growth MB');
for (const r of results) {
  console.log(
    `${r.variant.padEnd(18)}${String(r.processed).padStart(11)}${String(r.fetched).padStart(10)}${String(r.peakInFlight).padStart(17)}${String(r.rssAtFirstThousandMb).padStart(20)}${String(r.peakRssMb).padStart(14)}${String(r.growthMb).padStart(12)}`,
  );
}
console.log('\ntargets with checkpoint(): peak in flight <= polling.maxInFlight (4000); growth < 50 MB; nothing dropped');
mkdirSync('.bench', { recursive: true });
writeFileSync('.bench/backpressure.json', JSON.stringify({ when: new Date().toISOString(), results }, null, 2));
process.exit(0);
