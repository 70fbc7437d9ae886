/**
 * The Prometheus adapter, scraped over HTTP, after a run against kinesis-local and dynalite.
 */
import anyTest, { type TestFn } from 'ava';
import { createServer, get, type Server } from 'node:http';
import { Registry } from 'prom-client';
import { tap } from 'rxjs';
import { checkpoint } from '../../src/checkpoint/checkpoint.js';
import { createKinesumer } from '../../src/index.js';
import { silentLogger } from '../../src/logger.js';
import { registerKinesumerMetrics } from '../../src/prometheus.js';
import { createStream, localKinesisClient, putRecords, uniqueName, waitFor } from '../helpers/aws-fixtures.js';
import { localAws } from '../helpers/emulators.js';
import { withEmulators, type EmulatorContext } from '../helpers/with-emulators.js';

const test = anyTest as TestFn<EmulatorContext>;

withEmulators(test, 'state');

function scrape(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/metrics' }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

/** `name{labels} value` lines of a scrape, by name and label text. */
function samples(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m && m[1] === name) out.set(m[2] ?? '', Number(m[3]));
  }
  return out;
}

test('the adapter, scraped over HTTP, shows the run: records per shard, checkpoints, ownership, leadership, store calls', async (t) => {
  const client = localKinesisClient(t.context.kinesis.endpoint);
  const stream = uniqueName('prom');
  await createStream(client, stream, 2);
  const written = await putRecords(client, stream, 'p', 40);
  const consumer = createKinesumer({
    app: 'prom-app',
    kinesis: { endpoint: t.context.kinesis.endpoint, ...localAws, http1: true },
    stateStore: { table: 'state', endpoint: t.context.dynamo.endpoint, ...localAws },
    initialPosition: 'TRIM_HORIZON',
    group: { syncInterval: 300, clientTimeout: 3000 },
    logger: silentLogger,
  });
  const registry = new Registry();
  const unregister = registerKinesumerMetrics(consumer, { registry });
  const server: Server = createServer((_req, res) => {
    void registry.metrics().then((body) => res.end(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  let got = 0;
  const sub = consumer.consume([stream]).pipe(tap(() => (got += 1)), checkpoint(consumer)).subscribe();
  try {
    await waitFor(() => got === written.length, 15_000, 'every record');
    await consumer.commit();
    const text = await scrape(port);
    const records = samples(text, 'kinesumer_records_total');
    t.is([...records.values()].reduce((a, b) => a + b, 0), 40);
    t.true([...records.keys()].every((labels) => labels.includes('app="prom-app"') && labels.includes(`stream="${stream}"`) && /shard="shardId-\d+"/.test(labels)));
    t.is([...samples(text, 'kinesumer_records_checkpointed_total').values()].reduce((a, b) => a + b, 0), 40);
    t.is([...samples(text, 'kinesumer_bytes_total').values()].reduce((a, b) => a + b, 0), written.reduce((a, w) => a + w.length, 0));
    t.deepEqual([...samples(text, 'kinesumer_owned_shards')], [['{app="prom-app"}', 2]]);
    t.deepEqual([...samples(text, 'kinesumer_leader')], [['{app="prom-app"}', 1]]);
    t.true((samples(text, 'kinesumer_commits_total').get('{app="prom-app"}') ?? 0) >= 2);
    // the first heartbeat of a run is a rejoin (it also reads the one before it)
    const calls = samples(text, 'kinesumer_state_store_calls_total');
    t.is(calls.get('{app="prom-app",method="rejoin"}'), 1, JSON.stringify([...calls]));
    t.true((calls.get('{app="prom-app",method="listGroup"}') ?? 0) >= 1, JSON.stringify([...calls]));
    t.true(samples(text, 'kinesumer_millis_behind_latest').size === 2);
    // the lag gauges of each owned shard
    const ages = samples(text, 'kinesumer_last_record_age_seconds');
    t.is(ages.size, 2);
    t.true([...ages.values()].every((age) => age >= 0 && age < 60), JSON.stringify([...ages]));
    t.deepEqual([...samples(text, 'kinesumer_shard_records_in_flight').values()], [0, 0], 'every delivered record reached checkpoint()');
    t.deepEqual([...samples(text, 'kinesumer_shard_stalled').values()], [0, 0]);
    const states = samples(text, 'kinesumer_shard_state');
    t.is(states.size, 2);
    t.true([...states.keys()].every((labels) => labels.includes('state="reading"')), JSON.stringify([...states]));
    t.false(/client/.test([...records.keys()].join()), 'no client id label');
  } finally {
    sub.unsubscribe();
    await consumer.close();
    unregister();
    server.close();
  }
});
