/**
 * Group cost at steady state: three clients in one process (each with its own DynamoDB client),
 * one stream of 8 shards, a steady 200 records/s, default timings. Counts the DynamoDB requests
 * each client sends, by command, after a warm-up, and reports them per minute.
 *
 *   npm run bench -- group-cost      (BENCH_SECONDS of measurement, default 120, plus 20 s warm-up)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { checkpoint, createKinesumer, DynamoDBStateStore, type Kinesumer } from '../src/index.js';
import { createStateTable } from '../src/state-store/dynamodb/create-table.js';
import { createStream, localDynamoClient, localKinesisClient, putRecords } from '../spec/helpers/aws-fixtures.js';
import { localAws, startDynalite, startKinesisLocal } from '../spec/helpers/emulators.js';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 120);
const WARMUP = 20;

const [kinesisLocal, dynalite] = await Promise.all([startKinesisLocal(), startDynalite()]);
try {
  const kinesis = localKinesisClient(kinesisLocal.endpoint);
  await createStream(kinesis, 'cost', 8);
  await createStateTable(localDynamoClient(dynalite.endpoint), 'cost-state');

  let counting = false;
  const members: { id: string; consumer: Kinesumer; counts: Map<string, number> }[] = [];
  for (const id of ['c1', 'c2', 'c3']) {
    const counts = new Map<string, number>();
    const client = new DynamoDBClient({ ...localAws, endpoint: dynalite.endpoint });
    client.middlewareStack.add(
      (next, context) => (args) => {
        if (counting) counts.set(context.commandName ?? '?', (counts.get(context.commandName ?? '?') ?? 0) + 1);
        return next(args);
      },
      { step: 'initialize', name: 'countRequests' },
    );
    const consumer = createKinesumer({
      app: 'cost',
      clientId: id,
      kinesis: { endpoint: kinesisLocal.endpoint, ...localAws, http1: true },
      stateStore: new DynamoDBStateStore({ table: 'cost-state', client }),
      initialPosition: 'TRIM_HORIZON',
    });
    consumer.consume(['cost']).pipe(checkpoint(consumer)).subscribe();
    members.push({ id, consumer, counts });
  }

  let running = true;
  let n = 0;
  const producer = (async () => {
    while (running) {
      const started = Date.now();
      await putRecords(kinesis, 'cost', `p${n++}`, 20);
      await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - started)))); // 200 records/s
    }
  })();

  await new Promise((r) => setTimeout(r, WARMUP * 1000));
  counting = true;
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  counting = false;
  running = false;
  await producer;
  await Promise.all(members.map((m) => m.consumer.close()));

  const kinds = [...new Set(members.flatMap((m) => [...m.counts.keys()]))].sort();
  const perMinute = (count: number) => +((count * 60) / SECONDS).toFixed(1);
  console.log(`\nDynamoDB requests per client per minute, 3 clients, 8 shards, 200 records/s, default timings, ${SECONDS} s\n`);
  console.log(`client  ${kinds.map((k) => k.replace('Command', '').padStart(16)).join('')}           total`);
  const rows = members.map((m) => {
    const total = [...m.counts.values()].reduce((a, b) => a + b, 0);
    console.log(`${m.id.padEnd(8)}${kinds.map((k) => String(perMinute(m.counts.get(k) ?? 0)).padStart(16)).join('')}${String(perMinute(total)).padStart(16)}`);
    return { client: m.id, perMinute: Object.fromEntries(kinds.map((k) => [k, perMinute(m.counts.get(k) ?? 0)])), total: perMinute(total) };
  });
  console.log('\n(c1 leads: it also lists shards, reads every shard state and prunes; kinesumer needs about 48/min for a non-leader)');
  mkdirSync('.bench', { recursive: true });
  writeFileSync('.bench/group-cost.json', JSON.stringify({ when: new Date().toISOString(), seconds: SECONDS, rows }, null, 2));
} finally {
  await Promise.all([kinesisLocal.stop(), dynalite.stop()]);
}
