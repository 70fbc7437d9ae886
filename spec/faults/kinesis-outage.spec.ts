/**
 * Kinesis unreachable for a while: the consumers reach kinesis-local through a TCP proxy of the
 * test's own, which is cut for 5 seconds (long enough for the readers' backoff to reach its
 * 2-second ceiling a few times; the point holds for 10 s outages just the same). The producer
 * and the state store are not behind the proxy. Readers must report and back off, keep their
 * shards, and resume after the last record they delivered: nothing lost, nothing delivered twice,
 * order per key kept.
 */
import anyTest, { type TestFn } from 'ava';
import { KinesisError } from '../../src/errors.js';
import { createStream } from '../helpers/aws-fixtures.js';
import { startTcpProxy, type CutMode } from '../helpers/tcp-proxy.js';
import {
  Ledger,
  assertDelivery,
  deliveryReport,
  directClients,
  memberConfig,
  owned,
  sleep,
  startMember,
  startProducer,
  waitUntil,
  withEmulators,
  type Emulators,
} from './fixtures.js';

const test = anyTest as TestFn<Emulators>;
withEmulators(test);

const OUTAGE_MS = 5_000;

for (const mode of ['reset', 'blackhole'] as CutMode[]) {
  test(`Kinesis unreachable for 5 s (${mode}): readers back off, report, keep their shards and resume where they were`, async (t) => {
    const { kinesis } = directClients(t.context);
    const stream = `kout-${mode}-${Date.now().toString(36)}`;
    await createStream(kinesis, stream, 4);
    const proxy = await startTcpProxy({ port: t.context.kinesis.port });
    const ledger = new Ledger();
    const endpoints = { kinesisEndpoint: proxy.endpoint, dynamoEndpoint: t.context.dynamo.endpoint };
    const app = `kout-${mode}`;
    const members = ['a', 'b'].map((id) => startMember(memberConfig(endpoints, app, id), [stream], ledger));
    const producer = startProducer(kinesis, stream, { prefix: 'p', keys: 16, perBatch: 20, intervalMs: 100 });
    try {
      // given two members that read 2 shards each
      await waitUntil(
        () => members.every((m) => owned(m.assignment, stream).length === 2) && ledger.deliveries.length > 100,
        20_000,
        'a 2/2 split and the first records',
      );
      await sleep(1000);
      const before = members.map((m) => owned(m.assignment, stream));

      // when Kinesis is unreachable for OUTAGE_MS
      const cutAt = Date.now();
      proxy.cut(mode);
      await sleep(OUTAGE_MS);
      const restoredAt = Date.now();
      // (a blackhole's connections stay silent for good: only the client's own timeouts end them)
      proxy.restore({ held: 'frozen' });

      // then every shard delivers a record written during the outage again
      const writtenByRestore = producer.written.length;
      const shards = [0, 1, 2, 3].map((i) => `shardId-00000000000${i}`);
      const recovery = await waitUntil(
        () => shards.every((s) => ledger.since(restoredAt).some((d) => d.shard === s)),
        20_000,
        'every shard to deliver again',
      );
      await sleep(1500);
      await producer.stop();
      await waitUntil(() => deliveryReport(producer.written, ledger.deliveries).lost.length === 0, 20_000, 'every record');

      const report = deliveryReport(producer.written, ledger.deliveries);
      const readerErrors = members.flatMap((m) =>
        m.errors.filter(
          (e) => e.t >= cutAt && e.t <= restoredAt + 500 && e.error instanceof KinesisError && e.error.shardId !== undefined,
        ),
      );
      const perShard = new Map<string, number>();
      for (const e of readerErrors) {
        const shard = (e.error as KinesisError).shardId!;
        perShard.set(shard, (perShard.get(shard) ?? 0) + 1);
      }
      const deliveredDuring = ledger.deliveries.filter((d) => d.t > cutAt + 100 && d.t < restoredAt).length;
      t.log(
        `${mode}: outage ${OUTAGE_MS} ms; every shard delivered again ${recovery} ms after the restore; ` +
          `${report.written} records (${writtenByRestore} by the restore), ${report.lost.length} lost, ${report.duplicates} duplicates; ` +
          `reader errors during the outage per shard: ${JSON.stringify(Object.fromEntries(perShard))}; ` +
          `connections accepted by the proxy: ${proxy.accepted}`,
      );

      assertDelivery(t, report);
      t.is(report.duplicates, 0, 'resumed after the last delivered record, not from the checkpoint');
      t.is(deliveredDuring, 0, 'nothing was delivered while Kinesis was unreachable');
      // reported on errors$: every shard's reader said what failed, naming the operation and shard
      t.deepEqual([...perShard.keys()].sort(), shards, 'every reader reported its failures');
      for (const e of readerErrors) t.regex(e.error.message, /^Kinesis (GetRecords|GetShardIterator) on stream "kout-.*" shard shardId-\d+ failed: /);
      // kept trying (a call that hangs is timed out and retried, not waited on for good) but
      // backed off: without backoff a reader retries every 200 ms (25 calls in 5 s)
      t.true(Math.min(...perShard.values()) >= 2, `a reader reported ${Math.min(...perShard.values())} failures in ${OUTAGE_MS} ms`);
      t.true(Math.max(...perShard.values()) <= 12, `a reader retried ${Math.max(...perShard.values())} times in ${OUTAGE_MS} ms`);
      // kept their shards: a Kinesis outage is no reason to rebalance
      t.deepEqual(members.map((m) => owned(m.assignment, stream)), before);
      for (const m of members) {
        const changes = m.assignments.filter((a) => a.t >= cutAt).map((a) => owned(a.assignment, stream));
        t.deepEqual(changes, [], `${m.id} changed its assignment during or after the outage: ${JSON.stringify(changes)}`);
      }
      // by itself, within the backoff ceiling plus a loaded emulator's slowness
      t.true(recovery < 10_000, `recovered in ${recovery} ms (backoff ceiling 2000 ms)`);
      t.deepEqual(members.map((m) => m.failed), [undefined, undefined]);
    } finally {
      await producer.stop();
      await Promise.all(members.map((m) => m.close()));
      members.forEach((m) => m.subscription.unsubscribe());
      await proxy.close();
    }
  });
}

test('Kinesis unreachable for 10 s with the default retry.maxDelay (30 s): no shard sleeps through the heal on a backoff grown during the cut', async (t) => {
  const { kinesis } = directClients(t.context);
  const stream = `klong-${Date.now().toString(36)}`;
  await createStream(kinesis, stream, 4);
  const proxy = await startTcpProxy({ port: t.context.kinesis.port });
  const ledger = new Ledger();
  const endpoints = { kinesisEndpoint: proxy.endpoint, dynamoEndpoint: t.context.dynamo.endpoint };
  const app = `klong-${Date.now().toString(36)}`;
  const retry = { initialDelay: 100, maxDelay: 30_000 };
  const members = ['a', 'b'].map((id) => startMember(memberConfig(endpoints, app, id, { retry, group: { syncInterval: 1000, clientTimeout: 3000 } }), [stream], ledger));
  const producer = startProducer(kinesis, stream, { prefix: 'q', keys: 16, perBatch: 20, intervalMs: 100 });
  const shards = [0, 1, 2, 3].map((i) => `shardId-00000000000${i}`);
  try {
    await waitUntil(() => members.every((m) => owned(m.assignment, stream).length === 2) && ledger.deliveries.length > 100, 20_000, 'a 2/2 split');
    await sleep(1000);

    // when Kinesis is unreachable for 10 s (the readers' backoffs grow to several seconds)
    proxy.cut('reset');
    await sleep(10_000);
    const restoredAt = Date.now();
    proxy.restore();

    // then every shard delivers again soon after the heal, not after its last backoff
    await waitUntil(() => shards.every((s) => ledger.since(restoredAt).some((d) => d.shard === s)), 40_000, 'every shard to deliver again');
    const resumed = shards.map((s) => ledger.since(restoredAt).find((d) => d.shard === s)!.t - restoredAt);
    await producer.stop();
    await waitUntil(() => deliveryReport(producer.written, ledger.deliveries).lost.length === 0, 20_000, 'every record');
    const report = deliveryReport(producer.written, ledger.deliveries);
    t.log(`outage 10 s, retry.maxDelay 30 s: shards delivered again ${resumed.join(', ')} ms after the heal; ${report.written} records, ${report.lost.length} lost, ${report.duplicates} duplicates`);
    assertDelivery(t, report);
    t.is(report.duplicates, 0);
    // the first answer of any call ends every connection backoff: within a sync round (the
    // leader's ListShards) and a loaded machine's slowness, not a backoff of up to 30 s
    t.true(Math.max(...resumed) < 5000, `the last shard delivered again ${Math.max(...resumed)} ms after the heal`);
  } finally {
    await producer.stop();
    await Promise.all(members.map((m) => m.close()));
    members.forEach((m) => m.subscription.unsubscribe());
    await proxy.close();
  }
});
