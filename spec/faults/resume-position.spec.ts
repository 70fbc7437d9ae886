/**
 * Every (re)start of a shard resumes from the newest position the group committed, heartbeat
 * marks included (with heartbeat commits the checkpoint items lag by up to `commit.itemInterval`,
 * 60 s by default): duplicates are bounded per event, and the test counts them by when they were
 * delivered again and how far back their first delivery reaches.
 *
 * - DynamoDB unreachable for longer than `clientTimeout`: the members step down (their release
 *   cannot be written), and back, they take their shards again. They must resume after the marks
 *   their heartbeats carried up to the cut, not after the items written when they first took the
 *   shards: duplicates at most the records delivered in the last commit period before the cut
 *   plus those delivered during it.
 *
 * Short timings: `syncInterval` 1000, `clientTimeout` 3000, `commit.interval` 500, and the
 * default `commit.itemInterval` (60 s: no item is written after the takes during a test).
 */
import anyTest, { type TestFn } from 'ava';
import { createStream } from '../helpers/aws-fixtures.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import {
  Ledger,
  assertDelivery,
  deliveryReport,
  directClients,
  duplicateReport,
  memberConfig,
  owned,
  shardId,
  sleep,
  startMember,
  startProducer,
  waitUntil,
  withEmulators,
  type Emulators,
} from './fixtures.js';

const test = anyTest as TestFn<Emulators>;
withEmulators(test);

const SHARDS = [0, 1, 2, 3].map(shardId);
const group = { syncInterval: 1000, clientTimeout: 3000 };
const COMMIT_MS = 500;
/**
 * How far before the cut a repeated record's first delivery may lie: the last commit period, one
 * more for the heartbeat that carried it to land, and 500 ms for a loaded machine.
 */
const REACH_MS = 2 * COMMIT_MS + 500;

test('DynamoDB unreachable for 5 s, more than clientTimeout: back, the members resume after their heartbeat marks, not their old items', async (t) => {
  const { kinesis } = directClients(t.context);
  const stream = `rstore-${Date.now().toString(36)}`;
  await createStream(kinesis, stream, 4);
  const proxy = await startTcpProxy({ port: t.context.dynamo.port });
  const ledger = new Ledger();
  const app = `rstore-${Date.now().toString(36)}`;
  const endpoints = { kinesisEndpoint: t.context.kinesis.endpoint, dynamoEndpoint: proxy.endpoint };
  const members = ['a', 'b'].map((id) => startMember(memberConfig(endpoints, app, id, { group, commit: { interval: COMMIT_MS } }), [stream], ledger));
  const producer = startProducer(kinesis, stream, { prefix: 'r', keys: 16, perBatch: 20, intervalMs: 100 });
  try {
    // given two members that have read their shards for a few seconds (their items are from the takes)
    await waitUntil(() => members.every((m) => owned(m.assignment, stream).length === 2) && ledger.deliveries.length > 100, 20_000, 'a 2/2 split');
    await sleep(3000);

    // when the table is unreachable for longer than clientTimeout
    const cutAt = Date.now();
    proxy.cut('reset');
    await sleep(5000);
    const restoredAt = Date.now();
    proxy.restore();

    // then every shard delivers again, and once everything is in, nothing was lost
    await waitUntil(() => SHARDS.every((s) => ledger.since(restoredAt).some((d) => d.shard === s)), 20_000, 'every shard to deliver again');
    await sleep(1500);
    await producer.stop();
    await waitUntil(() => deliveryReport(producer.written, ledger.deliveries).lost.length === 0, 20_000, 'every record');
    await sleep(500);

    const report = deliveryReport(producer.written, ledger.deliveries);
    const dups = duplicateReport(ledger.deliveries);
    const reach = dups.reachBack(0, Number.POSITIVE_INFINITY);
    const bound = dups.firstIn(cutAt - REACH_MS, restoredAt);
    t.log(
      `store outage 5 s: ${report.written} records, ${report.lost.length} lost, ${dups.count} duplicates ` +
        `(${dups.repeatedIn(restoredAt, Number.POSITIVE_INFINITY)} after the restore); the repeats reach back ` +
        `${reach === undefined ? '-' : `${((cutAt - reach) / 1000).toFixed(1)} s before the cut`}; bound: ${bound} records ` +
        `delivered from ${REACH_MS} ms before the cut to the restore`,
    );

    assertDelivery(t, report);
    t.true(reach === undefined || reach >= cutAt - REACH_MS, `a repeated record was first delivered ${reach === undefined ? 0 : cutAt - reach} ms before the cut`);
    t.true(dups.count <= bound, `${dups.count} duplicates, bound ${bound}`);
    t.deepEqual(members.map((m) => m.failed), [undefined, undefined]);
  } finally {
    await producer.stop();
    await Promise.all(members.map((m) => m.close()));
    members.forEach((m) => m.subscription.unsubscribe());
    await proxy.close();
  }
});
