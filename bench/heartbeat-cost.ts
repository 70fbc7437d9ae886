/**
 * What the per-shard stats cost a heartbeat in DynamoDB: requests, request bytes, item size and
 * write capacity units per heartbeat, with and without the stats, for clients holding 8, 32 and
 * 100 shards. Heartbeats go to dynalite through DynamoDBStateStore, exactly as a member writes
 * them (every held shard's checkpoint, and per shard its lag, last-record age and records in
 * flight); the item size is computed by DynamoDB's rules and the capacity read from the answer.
 *
 *   npm run bench -- heartbeat-cost      (a few seconds; writes .bench/heartbeat-cost.json)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { GetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { createStateTable } from '../src/state-store/dynamodb/create-table.js';
import { DynamoDBStateStore } from '../src/state-store/dynamodb/dynamodb-state-store.js';
import type { Heartbeat } from '../src/state-store/state-store.js';
import { localDynamoClient } from '../spec/helpers/aws-fixtures.js';
import { startDynalite } from '../spec/helpers/emulators.js';

/** DynamoDB's size of an attribute value, bytes (names count where they appear in maps). */
function sizeOf(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return Math.ceil(value.N.replace(/^-/, '').replace('.', '').replace(/^0+/, '').length / 2) + 1;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.M !== undefined) return 3 + Object.entries(value.M).reduce((sum, [name, v]) => sum + Buffer.byteLength(name) + sizeOf(v) + 1, 0);
  if (value.L !== undefined) return 3 + value.L.reduce((sum, v) => sum + sizeOf(v) + 1, 0);
  return 0;
}
const itemSize = (item: Record<string, AttributeValue>) => Object.entries(item).reduce((sum, [name, v]) => sum + Buffer.byteLength(name) + sizeOf(v), 0);

const dynalite = await startDynalite();
try {
  const client = localDynamoClient(dynalite.endpoint);
  await createStateTable(client, 'bench-beats');
  const requests: { bytes: number; wcu: number | undefined }[] = [];
  client.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as { ReturnConsumedCapacity?: string };
      input.ReturnConsumedCapacity = 'TOTAL';
      const out = await next(args);
      const consumed = (out.output as { ConsumedCapacity?: { CapacityUnits?: number } }).ConsumedCapacity;
      requests.at(-1)!.wcu = consumed?.CapacityUnits;
      return out;
    },
    { step: 'initialize', name: 'capacity' },
  );
  client.middlewareStack.add(
    (next) => async (args) => {
      const body = (args.request as { body?: string }).body ?? '';
      requests.push({ bytes: Buffer.byteLength(body), wcu: undefined });
      return next(args);
    },
    { step: 'finalizeRequest', name: 'bytes' },
  );
  const store = new DynamoDBStateStore({ table: 'bench-beats', client });
  const seq = (shard: number) => `4968074${String(shard).padStart(5, '0')}${'3'.repeat(44)}`; // 56 digits, as Kinesis writes them
  const id = (shard: number) => `shardId-${String(shard).padStart(12, '0')}`;
  const rows = [];
  for (const shards of [8, 32, 100]) {
    const beat = (stats: boolean, n: number): Heartbeat => {
      const checkpoints = { orders: Object.fromEntries(Array.from({ length: shards }, (_, i) => [id(i), { sequenceNumber: seq(i) }])) };
      if (!stats) return { checkpoints };
      // typical values: a second or two behind, the last record a few seconds old, some hundred in flight
      return { checkpoints, stats: { orders: Object.fromEntries(Array.from({ length: shards }, (_, i) => [id(i), { lagMs: 1000 + ((i * 37 + n) % 900), lastRecordAgeMs: 2000 + ((i * 53) % 5000), inFlight: (i * 97) % 400 }])) } };
    };
    const row: Record<string, number> = { shards };
    for (const stats of [false, true]) {
      const app = `bench-${shards}-${stats}`;
      const before = requests.length;
      for (let n = 0; n < 10; n++) await store.heartbeat(app, 'member-1', new Date(), beat(stats, n));
      const mine = requests.slice(before);
      const item = (await client.send(new GetItemCommand({ TableName: 'bench-beats', Key: { pk: { S: `client#${app}` }, sk: { S: 'member-1' } } }))).Item!;
      requests.pop(); // the GetItem
      const key = stats ? 'with' : 'without';
      row[`${key}Requests`] = mine.length / 10;
      row[`${key}Bytes`] = Math.round(mine.reduce((s, r) => s + r.bytes, 0) / mine.length);
      row[`${key}ItemBytes`] = itemSize(item);
      row[`${key}Wcu`] = mine.at(-1)!.wcu ?? Math.ceil(itemSize(item) / 1024);
    }
    rows.push(row);
  }
  console.log('\nheartbeat write with every held shard\'s checkpoint, without and with the shard stats\n');
  console.log('shards  requests/beat  request bytes       item bytes          WCU/beat        stats bytes/shard (item)');
  for (const r of rows) {
    const perShard = ((r['withItemBytes']! - r['withoutItemBytes']!) / r['shards']!).toFixed(1);
    console.log(
      `${String(r['shards']).padStart(6)}  ${`${r['withoutRequests']} -> ${r['withRequests']}`.padEnd(13)}  ${`${r['withoutBytes']} -> ${r['withBytes']}`.padEnd(18)}  ${`${r['withoutItemBytes']} -> ${r['withItemBytes']}`.padEnd(18)}  ${`${r['withoutWcu']} -> ${r['withWcu']}`.padEnd(14)}  ${perShard}`,
    );
  }
  mkdirSync('.bench', { recursive: true });
  writeFileSync('.bench/heartbeat-cost.json', JSON.stringify({ when: new Date().toISOString(), rows }, null, 2));
} finally {
  await dynalite.stop();
}
