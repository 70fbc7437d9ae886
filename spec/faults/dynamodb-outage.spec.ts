/**
 * DynamoDB unreachable for a while: the consumers reach dynalite through a TCP proxy of the
 * test's own, cut for 5 seconds; Kinesis, the producer and the test's own reads of the table are
 * not behind it.
 *
 * - Shorter than `clientTimeout` (8 s here): heartbeats and commits fail, are reported and
 *   retried; nobody counts anybody dead, every client keeps its shards and keeps reading, and the
 *   marks made meanwhile are committed once the table is back. Nothing is delivered twice.
 * - Longer than `clientTimeout` (3 s here), as a partition in which calls hang: every client stops
 *   reading once its own heartbeat is `clientTimeout` old (the others count it dead by then), no
 *   client ever delivers from a shard the table says another holds, no client takes the others
 *   for dead when the table is back (their heartbeats are as old as its own), and the group takes
 *   its shards up again by itself. Records processed but not committed may be delivered again.
 */
import anyTest, { type TestFn } from 'ava';
import { CheckpointError, StateStoreError } from '../../src/errors.js';
import { withHeartbeatCheckpoints } from '../../src/state-store/heartbeat-checkpoints.js';
import { createStream } from '../helpers/aws-fixtures.js';
import { startTcpProxy, type CutMode } from '../helpers/tcp-proxy.js';
import {
  Ledger,
  assertDelivery,
  compareSeq,
  deliveriesByNonOwners,
  deliveryReport,
  directClients,
  memberConfig,
  owned,
  sampleOwners,
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

const OUTAGE_MS = 5_000;
const SHARDS = [0, 1, 2, 3].map(shardId);

/** The last sequence number delivered from each shard up to `until`. */
function lastDelivered(ledger: Ledger, until = Number.POSITIVE_INFINITY): Map<string, string> {
  const last = new Map<string, string>();
  for (const d of ledger.deliveries) {
    if (d.t > until) break;
    const seen = last.get(d.shard);
    if (seen === undefined || compareSeq(d.seq, seen) > 0) last.set(d.shard, d.seq);
  }
  return last;
}

test('DynamoDB unreachable for 5 s, less than clientTimeout: commits are retried, nobody is counted dead, the marks are committed after', async (t) => {
  const { kinesis, store } = directClients(t.context);
  const stream = `dshort-${Date.now().toString(36)}`;
  await createStream(kinesis, stream, 4);
  const proxy = await startTcpProxy({ port: t.context.dynamo.port });
  const ledger = new Ledger();
  const app = 'dshort';
  const endpoints = { kinesisEndpoint: t.context.kinesis.endpoint, dynamoEndpoint: proxy.endpoint };
  const group = { syncInterval: 500, clientTimeout: 8000 };
  const members = ['a', 'b'].map((id) => startMember(memberConfig(endpoints, app, id, { group }), [stream], ledger));
  const producer = startProducer(kinesis, stream, { prefix: 'd', keys: 16, perBatch: 20, intervalMs: 100 });
  try {
    // given two members that read 2 shards each and committed their marks
    await waitUntil(
      () => members.every((m) => owned(m.assignment, stream).length === 2) && ledger.deliveries.length > 100,
      20_000,
      'a 2/2 split and the first records',
    );
    await sleep(1000);
    const before = members.map((m) => owned(m.assignment, stream));
    const ownersBefore = new Map((await store.listShardStates(app, stream)).map((s) => [s.shardId, s.owner]));

    // when the table is unreachable for OUTAGE_MS
    const cutAt = Date.now();
    proxy.cut('reset');
    await sleep(OUTAGE_MS);
    const marked = lastDelivered(ledger);
    const restoredAt = Date.now();
    proxy.restore();

    // then the marks made during the outage are committed once the table is back
    // (the checkpoint items, or the owner's heartbeat checkpoint where further on: where a restart resumes)
    const committed = async () =>
      new Map(
        withHeartbeatCheckpoints(stream, [], await store.listShardStates(app, stream), await store.listClients(app)).map((s) => [s.shardId, s.sequenceNumber]),
      );
    let latest = new Map<string, string | undefined>();
    const commitDelay = await (async () => {
      const start = Date.now();
      for (;;) {
        latest = await committed();
        if (SHARDS.every((s) => compareSeq(latest.get(s) ?? '0', marked.get(s)!) >= 0)) return Date.now() - start;
        if (Date.now() - start > 15_000) throw new Error(`marks not committed: ${JSON.stringify([...latest])}`);
        await sleep(100);
      }
    })();
    await sleep(1000);
    await producer.stop();
    await waitUntil(() => deliveryReport(producer.written, ledger.deliveries).lost.length === 0, 20_000, 'every record');

    const report = deliveryReport(producer.written, ledger.deliveries);
    const deliveredDuring = ledger.deliveries.filter((d) => d.t > cutAt && d.t < restoredAt).length;
    const during = members.flatMap((m) => m.errors.filter((e) => e.t >= cutAt && e.t <= restoredAt + 1000).map((e) => e.error));
    // with heartbeat commits the heartbeat carries the marks: a failed heartbeat is a failed commit too
    const pings = during.filter((e) => e instanceof StateStoreError && e.operation === 'heartbeat');
    const commits = during.filter((e) => e instanceof CheckpointError);
    t.log(
      `outage ${OUTAGE_MS} ms (clientTimeout ${group.clientTimeout}); marks committed ${commitDelay} ms after the restore; ` +
        `${deliveredDuring} records delivered during the outage; ${report.written} records, ${report.lost.length} lost, ` +
        `${report.duplicates} duplicates; ${pings.length} failed heartbeats and ${commits.length} failed commits reported`,
    );

    assertDelivery(t, report);
    t.is(report.duplicates, 0);
    t.true(deliveredDuring > 0, 'reading went on while the table was unreachable');
    // heartbeats (carrying the commits) failed, were reported with what failed, and were retried
    t.true(pings.length >= 2 * 5, `${pings.length} failed heartbeats reported`);
    for (const e of pings) t.regex(e.message, /^State store heartbeat failed: .+ on table "kinesumer-state"/);
    for (const e of commits) t.regex(e.message, /^Committing checkpoints of stream "dshort-\w+" \(shardId-\d+\) failed: /);
    const clients = await store.listClients(app);
    t.deepEqual(clients.map((c) => c.clientId), ['a', 'b']);
    for (const c of clients) t.true(Date.now() - c.lastUpdate.getTime() < 2000, `${c.clientId}'s heartbeat is fresh again`);
    // nobody counted anybody dead: no assignment changed, no shard changed owner
    t.deepEqual(members.map((m) => owned(m.assignment, stream)), before);
    for (const m of members) t.deepEqual(m.assignments.filter((a) => a.t >= cutAt).map((a) => owned(a.assignment, stream)), []);
    t.deepEqual(new Map((await store.listShardStates(app, stream)).map((s) => [s.shardId, s.owner])), ownersBefore);
    // and nobody read a shard it did not own
    for (const [i, m] of members.entries()) {
      t.deepEqual([...new Set(ledger.deliveries.filter((d) => d.member === m.id && d.t > cutAt).map((d) => d.shard))].sort(), before[i]);
    }
    t.deepEqual(members.map((m) => m.failed), [undefined, undefined]);
  } finally {
    await producer.stop();
    await Promise.all(members.map((m) => m.close()));
    members.forEach((m) => m.subscription.unsubscribe());
    await proxy.close();
  }
});

for (const mode of ['blackhole', 'reset'] as CutMode[]) {
test(`DynamoDB unreachable for 5 s (${mode}), more than clientTimeout: clients stop reading, never read a shard they do not hold, and recover`, async (t) => {
  const { kinesis, store } = directClients(t.context);
  const stream = `dlong-${mode}-${Date.now().toString(36)}`;
  await createStream(kinesis, stream, 4);
  const proxy = await startTcpProxy({ port: t.context.dynamo.port });
  const ledger = new Ledger();
  const app = `dlong-${mode}`;
  const endpoints = { kinesisEndpoint: t.context.kinesis.endpoint, dynamoEndpoint: proxy.endpoint };
  const group = { syncInterval: 500, clientTimeout: 3000 };
  const members = ['a', 'b'].map((id) => startMember(memberConfig(endpoints, app, id, { group }), [stream], ledger));
  const producer = startProducer(kinesis, stream, { prefix: 'l', keys: 16, perBatch: 20, intervalMs: 100 });
  const sampler = sampleOwners(store, app, stream);
  try {
    await waitUntil(
      () => members.every((m) => owned(m.assignment, stream).length === 2) && ledger.deliveries.length > 100,
      20_000,
      'a 2/2 split and the first records',
    );
    await sleep(1000);

    // when the table stops answering for OUTAGE_MS
    const cutAt = Date.now();
    proxy.cut(mode);
    await sleep(OUTAGE_MS);
    const restoredAt = Date.now();
    proxy.restore();

    // then the group reads every shard again, each shard held by exactly one client
    const recovery = await waitUntil(
      () => SHARDS.every((s) => ledger.since(restoredAt).some((d) => d.shard === s)),
      20_000,
      'every shard to deliver again',
    );
    const quiet = await waitUntil(
      () =>
        members.every((m) => owned(m.assignment, stream).length === 2) &&
        members.flatMap((m) => owned(m.assignment, stream)).sort().join() === SHARDS.join(),
      20_000,
      'a 2/2 split again',
    );
    await sleep(1500);
    await producer.stop();
    await waitUntil(() => deliveryReport(producer.written, ledger.deliveries).lost.length === 0, 20_000, 'every record');
    await sampler.stop();

    const report = deliveryReport(producer.written, ledger.deliveries);
    const steppedDown = ledger.deliveries.filter((d) => d.t > cutAt + group.clientTimeout + 500 && d.t < restoredAt);
    const grabbedAll = members.filter((m) => m.assignments.some((a) => a.t > restoredAt && owned(a.assignment, stream).length === 4));
    const owners = new Map((await store.listShardStates(app, stream)).map((s) => [s.shardId, s.owner]));
    t.log(
      `${mode}: outage ${OUTAGE_MS} ms (clientTimeout ${group.clientTimeout}); every shard delivered again ${recovery} ms after the ` +
        `restore, 2/2 again after ${recovery + quiet} ms; ${report.written} records, ${report.lost.length} lost, ` +
        `${report.duplicates} duplicates (the uncommitted window); clients that took every shard after the restore: ` +
        `${grabbedAll.map((m) => m.id).join(', ') || 'none'}`,
    );

    assertDelivery(t, report);
    // back from the outage, nobody took the others for dead (their heartbeats are as old as its own)
    t.deepEqual(grabbedAll.map((m) => m.id), [], 'no client took every shard after the restore');
    t.deepEqual(steppedDown.map((d) => `${d.member} ${d.shard}`), [], 'nobody read once its heartbeat was clientTimeout old');
    t.deepEqual(deliveriesByNonOwners(sampler.samples, ledger.deliveries), [], 'nobody read a shard the table said another held');
    t.true(sampler.samples.length > 20);
    // every shard has exactly one owner, the one whose assignment has it
    for (const m of members) for (const s of owned(m.assignment, stream)) t.is(owners.get(s), m.id, `${s} is held by ${m.id}`);
    const timeouts = members.flatMap((m) => m.errors.filter((e) => e.t >= cutAt && e.error instanceof StateStoreError));
    t.true(timeouts.length > 0);
    t.deepEqual(members.map((m) => m.failed), [undefined, undefined]);
  } finally {
    await sampler.stop();
    await producer.stop();
    await Promise.all(members.map((m) => m.close()));
    members.forEach((m) => m.subscription.unsubscribe());
    await proxy.close();
  }
});
}
