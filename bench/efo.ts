/**
 * Enhanced fan-out against polling: one client reads a 4-shard kinesis-local stream with N
 * preloaded records (default 10,000; the README's figures used N=30000) from TRIM_HORIZON, in
 * alternating rounds. On kinesis-local this mostly measures the emulator (one event per shard per
 * second); see the README.
 *
 *   N=30000 npm run bench -- efo
 */
import { tap } from 'rxjs';
import { checkpoint } from '../src/checkpoint/checkpoint.js';
import { createKinesumer } from '../src/index.js';
import { createStateTable } from '../src/state-store/dynamodb/create-table.js';
import { createStream, localDynamoClient, localKinesisClient, putRecords } from '../spec/helpers/aws-fixtures.js';
import { localAws, startDynalite, startKinesisLocal } from '../spec/helpers/emulators.js';

const N = Number(process.env['N'] ?? 10000);
const [k, d] = await Promise.all([startKinesisLocal(), startDynalite()]);
try {
  await createStateTable(localDynamoClient(d.endpoint), 'state');
  const c = localKinesisClient(k.endpoint);
  await createStream(c, 'bench', 4);
  const t0 = Date.now();
  await putRecords(c, 'bench', 'r', N);
  console.log(`put ${N} records in ${Date.now() - t0} ms`);
  const run = async (mode: 'polling' | 'efo', round: number) => {
    const m = createKinesumer({
      app: `bench-${mode}-${round}`, clientId: 'a',
      kinesis: { endpoint: k.endpoint, ...localAws, http1: true },
      stateStore: { table: 'state', endpoint: d.endpoint, ...localAws },
      initialPosition: 'TRIM_HORIZON',
      group: { syncInterval: 1000, clientTimeout: 5000 },
      efo: mode === 'efo',
    });
    const errors: string[] = [];
    m.errors$.subscribe((e) => errors.push(e.code));
    let n = 0; let first = 0; let last = 0;
    const cpu0 = process.cpuUsage();
    const start = Date.now();
    const sub = m.consume(['bench']).pipe(tap(() => { n++; if (n === 1) first = Date.now(); if (n === N) last = Date.now(); }), checkpoint(m)).subscribe();
    while (n < N && Date.now() - start < 120000) await new Promise((r) => setTimeout(r, 20));
    const cpu = process.cpuUsage(cpu0);
    await m.close(); sub.unsubscribe();
    const total = last - start, steady = last - first;
    console.log(`${mode.padEnd(7)} round ${round}: ${n} records; first after ${first - start} ms; all after ${total} ms = ${Math.round(N / total * 1000)} rec/s overall, ${Math.round(N / steady * 1000)} rec/s first-to-last; client CPU ${Math.round((cpu.user + cpu.system) / 1000)} ms; errors ${JSON.stringify(errors)}`);
  };
  for (let round = 1; round <= 2; round++) { await run('polling', round); await run('efo', round); }
} finally { await Promise.all([k.stop(), d.stop()]); }
