/**
 * `npm run demo`: a consumer group at work on embedded emulators, no AWS account needed.
 *
 * Starts kinesis-local and dynalite, creates a 4-shard stream and the state-store table, writes
 * records steadily, and runs group members in this process: three from the start, a fourth that
 * joins later, and one that leaves gracefully. Every second it prints what each member owns and
 * has processed; at the end it checks that every record written was delivered.
 *
 *   npm run demo              # about 25 seconds
 *   DEMO_SECONDS=60 npm run demo
 */
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { concatMap, delay, of, type Subscription } from 'rxjs';
import { checkpoint, createKinesumer, createStateTable, type Kinesumer } from '../src/index.js';
import { createStream, localDynamoClient, localKinesisClient } from '../spec/helpers/aws-fixtures.js';
import { localAws, startDynalite, startKinesisLocal } from './support/emulators.js';

const seconds = Number(process.env['DEMO_SECONDS'] ?? 25);
const stream = 'demo-stream';
const table = 'kinesumer-state-store';

const [kinesisLocal, dynalite] = await Promise.all([startKinesisLocal(), startDynalite()]);
const stopAll = async () => Promise.all([kinesisLocal.stop(), dynalite.stop()]);
process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));

try {
  const kinesis = localKinesisClient(kinesisLocal.endpoint);
  await createStream(kinesis, stream, 4);
  await createStateTable(localDynamoClient(dynalite.endpoint), table);
  console.log(`kinesis-local ${kinesisLocal.endpoint}, dynalite ${dynalite.endpoint}: stream "${stream}" (4 shards), table "${table}"\n`);

  // The producer: 20 records every 200 ms, each a counter per partition key.
  const produced = new Set<string>();
  let sent = 0;
  const producer = setInterval(() => {
    const batch = Array.from({ length: 20 }, () => `record-${sent++}`);
    kinesis
      .send(new PutRecordsCommand({ StreamName: stream, Records: batch.map((p) => ({ Data: Buffer.from(p), PartitionKey: p })) }))
      .then(() => batch.forEach((p) => produced.add(p)), (err: Error) => console.error('put failed:', err.message));
  }, 200);

  interface Member {
    id: string;
    consumer: Kinesumer;
    subscription: Subscription;
    processed: number;
    owned: string[];
    state: 'running' | 'closed';
  }
  const delivered = new Map<string, number>();
  const members: Member[] = [];

  const join = (id: string) => {
    const consumer = createKinesumer({
      app: 'demo',
      clientId: id,
      kinesis: { endpoint: kinesisLocal.endpoint, ...localAws, http1: true },
      stateStore: { table, endpoint: dynalite.endpoint, ...localAws },
      initialPosition: 'TRIM_HORIZON',
      group: { syncInterval: 1000, clientTimeout: 3000 },
      commit: { interval: 1000 },
      polling: { idleInterval: 250 },
    });
    const member: Member = { id, consumer, processed: 0, owned: [], state: 'running', subscription: undefined as never };
    consumer.errors$.subscribe((err) => console.error(`  ${id} [${err.code}] ${err.message}`));
    consumer.assignment$.subscribe((a) => (member.owned = (a[stream] ?? []).map((s) => s.replace('shardId-00000000000', '#'))));
    member.subscription = consumer
      .consume([stream])
      .pipe(
        concatMap((record) => of(record).pipe(delay(1))), // "processing"
        checkpoint(consumer),
      )
      .subscribe((record) => {
        member.processed += 1;
        const key = new TextDecoder().decode(record.data);
        delivered.set(key, (delivered.get(key) ?? 0) + 1);
      });
    members.push(member);
    console.log(`>> ${id} joins`);
  };

  const leave = async (id: string) => {
    const member = members.find((m) => m.id === id)!;
    console.log(`>> ${id} leaves gracefully`);
    await member.consumer.close();
    member.state = 'closed';
  };

  const show = (second: number) => {
    const line = members
      .map((m) => `${m.id}: ${m.state === 'closed' ? 'closed' : `[${m.owned.join(' ')}]`} ${m.processed}`.padEnd(28))
      .join('');
    console.log(`${String(second).padStart(3)}s  ${line}`);
  };

  ['member-1', 'member-2', 'member-3'].forEach(join);
  for (let second = 1; second <= seconds; second++) {
    await new Promise((r) => setTimeout(r, 1000));
    if (second === Math.round(seconds * 0.3)) join('member-4');
    if (second === Math.round(seconds * 0.6)) await leave('member-1');
    show(second);
  }

  clearInterval(producer);
  await new Promise((r) => setTimeout(r, 3000)); // let the last records arrive
  await Promise.all(members.filter((m) => m.state === 'running').map((m) => m.consumer.close()));
  members.forEach((m) => m.subscription.unsubscribe());

  const missing = [...produced].filter((p) => !delivered.has(p));
  const duplicates = [...delivered.values()].reduce((sum, n) => sum + n - 1, 0);
  console.log(`\nproduced ${produced.size}, delivered ${delivered.size} distinct, ${duplicates} duplicates, ${missing.length} missing`);
  console.log(missing.length === 0 ? 'OK: every record was delivered' : `LOST: ${missing.slice(0, 10).join(', ')}`);
  process.exitCode = missing.length === 0 ? 0 : 1;
} finally {
  await stopAll();
}
