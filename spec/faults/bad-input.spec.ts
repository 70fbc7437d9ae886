/**
 * Bad input at run time, against kinesis-local and dynalite: each must be reported with a message
 * that names what is wrong, and none may make the group skip records silently.
 *
 * (A stream that does not exist and a table that does not exist are covered by
 * spec/integration/missing-resources.spec.ts; config errors by spec/config.spec.ts and
 * bad-config.spec.ts; misuse of checkpoint()/markRecord() by bad-usage.spec.ts.)
 *
 * "Written by a newer version" is taken to mean what a later release of this library (or of
 * kinesumer) could write into the same items: attributes this version does not know, which must
 * be ignored and kept; or a known attribute in a new shape, which must be reported as malformed,
 * left alone, and never taken for "no state" (the shard is then not read rather than read from
 * the initial position). The table layout has no version marker to check.
 */
import { CreateTableCommand, GetItemCommand, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { DeleteStreamCommand } from '@aws-sdk/client-kinesis';
import anyTest, { type TestFn } from 'ava';
import { lastValueFrom, timeout } from 'rxjs';
import { KinesisError, MalformedItemError, StateStoreError, StreamNotFoundError } from '../../src/errors.js';
import { createKinesumer } from '../../src/index.js';
import { stateTableDefinition } from '../../src/state-store/dynamodb/create-table.js';
import { createStream } from '../helpers/aws-fixtures.js';
import {
  Ledger,
  TABLE,
  compareSeq,
  directClients,
  memberConfig,
  owned,
  putBatch,
  shardId,
  sleep,
  startMember,
  waitUntil,
  withEmulators,
  type Emulators,
  type Member,
  type Written,
} from './fixtures.js';

const test = anyTest as TestFn<Emulators>;
withEmulators(test);

const endpointsOf = (t: { context: Emulators }) => ({
  kinesisEndpoint: t.context.kinesis.endpoint,
  dynamoEndpoint: t.context.dynamo.endpoint,
});
const S = (value: string): AttributeValue => ({ S: value });

/** A stream with `shards` shards and 40 records; returns them by shard. */
async function streamWithRecords(t: { context: Emulators }, prefix: string, shards = 2) {
  const { kinesis } = directClients(t.context);
  const stream = `${prefix}-${Date.now().toString(36)}`;
  await createStream(kinesis, stream, shards);
  const written = await putBatch(kinesis, stream, prefix, 16, 40, 0);
  const byShard = (id: string) => written.filter((w) => w.shard === id).sort((a, b) => compareSeq(a.seq, b.seq));
  return { stream, written, byShard };
}

async function closeAll(members: Member[]): Promise<void> {
  await Promise.all(members.map((m) => m.close()));
  members.forEach((m) => m.subscription.unsubscribe());
}

const malformed = (m: Member) => m.errors.map((e) => e.error).filter((e): e is MalformedItemError => e instanceof MalformedItemError);

test('a stream deleted while consumed is reported by name and dropped; the other stream goes on', async (t) => {
  const { kinesis } = directClients(t.context);
  const keep = `keep-${Date.now().toString(36)}`;
  const doomed = `doomed-${Date.now().toString(36)}`;
  await Promise.all([createStream(kinesis, keep, 1), createStream(kinesis, doomed, 1)]);
  await Promise.all([putBatch(kinesis, keep, 'a', 4, 10, 0), putBatch(kinesis, doomed, 'b', 4, 10, 0)]);
  const ledger = new Ledger();
  const member = startMember(memberConfig(endpointsOf(t), 'deleted', 'only'), [keep, doomed], ledger);
  try {
    await waitUntil(() => ledger.deliveries.length === 20, 20_000, 'the first records of both streams');
    // when one stream is deleted
    const deletedAt = Date.now();
    await kinesis.send(new DeleteStreamCommand({ StreamName: doomed }));
    const more = await putBatch(kinesis, keep, 'c', 4, 10, 0);
    // then it is reported by name, dropped from the assignment, and the other stream is still read
    await waitUntil(() => owned(member.assignment, doomed).length === 0, 20_000, 'the deleted stream to be dropped');
    await waitUntil(() => more.every((w) => ledger.deliveries.some((d) => d.data === w.data)), 20_000, 'the other stream');
    // (kinesis-local lists a DELETING stream as having no shards, then answers ResourceNotFoundException)
    await waitUntil(() => member.errors.some((e) => e.error instanceof StreamNotFoundError), 10_000, 'the report');
    const reported = member.errors.filter((e) => e.t >= deletedAt).map((e) => e.error);
    const notFound = reported.find((e): e is StreamNotFoundError => e instanceof StreamNotFoundError);
    t.truthy(notFound, reported.map((e) => e.message).join('\n'));
    t.is(notFound?.stream, doomed);
    t.is(notFound?.message, `Kinesis stream "${doomed}" was not found`);
    t.deepEqual(Object.keys(member.assignment), [keep]);
    // and its reader stopped: no more calls on it, so no more reports about it, once dropped
    await sleep(1500);
    const droppedAt = member.assignments.find((a) => a.t >= deletedAt && owned(a.assignment, doomed).length === 0)!.t;
    const lateReaderErrors = member.errors.filter((e) => e.t > droppedAt + 200 && e.error instanceof KinesisError && e.error.shardId);
    t.deepEqual(lateReaderErrors.map((e) => e.error.message), []);
    t.log(`deleted stream dropped ${droppedAt - deletedAt} ms after DeleteStream; ${reported.length} errors reported meanwhile`);
    t.is(member.failed, undefined);
  } finally {
    await closeAll([member]);
  }
});

for (const [name, kind, expected] of [
  ['no-index', 'lacks the index', /table "no-index" \(region us-east-1, endpoint http:\/\/127\.0\.0\.1:\d+\) does not have kinesumer's state-store schema: the local secondary index "index-client-key-last-update" is missing/],
  ['wrong-keys', 'has the wrong key schema', /table "wrong-keys" .* does not have kinesumer's state-store schema: the key schema is \(id HASH\), not \(pk HASH, sk RANGE\)/],
] as const) {
  test(`a table that ${kind} fails the record stream at once with a StateStoreError saying so`, async (t) => {
    const { dynamo } = directClients(t.context);
    const definition =
      name === 'no-index'
        ? {
            ...stateTableDefinition(name),
            AttributeDefinitions: stateTableDefinition(name).AttributeDefinitions?.filter((a) => a.AttributeName !== 'last_update'),
            LocalSecondaryIndexes: undefined,
          }
        : {
            TableName: name,
            AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' as const }],
            KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' as const }],
            BillingMode: 'PAY_PER_REQUEST' as const,
          };
    await dynamo.send(new CreateTableCommand(definition));
    const consumer = createKinesumer(memberConfig(endpointsOf(t), 'bad-table', 'c', { stateStore: { table: name, endpoint: t.context.dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } } }));
    const started = Date.now();
    const err = await t.throwsAsync(lastValueFrom(consumer.consume(['any']).pipe(timeout(10_000))));
    t.true(err instanceof StateStoreError, String(err));
    t.false((err as StateStoreError).retriable);
    t.regex(err!.message, expected);
    t.true(Date.now() - started < 5_000, 'not retried as if it could get better');
    await consumer.close();
  });
}

test('a malformed checkpoint is reported by key and path, its shard is not read from anywhere else, and it resumes once repaired', async (t) => {
  const { dynamo } = directClients(t.context);
  const { stream, byShard } = await streamWithRecords(t, 'badcp');
  const [bad, good] = [shardId(0), shardId(1)];
  const app = 'badcp';
  const key = { pk: S(`check_point#${app}#${stream}`), sk: S(bad) };
  await dynamo.send(new PutItemCommand({ TableName: TABLE, Item: { ...key, sequence_number: S('not-a-number'), last_update: S(new Date().toISOString()) } }));
  const ledger = new Ledger();
  const member = startMember(memberConfig(endpointsOf(t), app, 'only'), [stream], ledger);
  try {
    await waitUntil(() => byShard(good).every((w) => ledger.deliveries.some((d) => d.data === w.data)), 20_000, 'the good shard');
    await waitUntil(() => malformed(member).length > 0, 10_000, 'the report');
    await sleep(2000);
    const first = malformed(member)[0]!;
    t.deepEqual(first.key, { pk: `check_point#${app}#${stream}`, sk: bad });
    t.is(
      first.message,
      `Malformed state-store item pk="check_point#${app}#${stream}" sk="${bad}" skipped: ` +
        'Expecting decimal digit string at ShardStateItem.sequence_number but instead got: "not-a-number"',
    );
    // not read from TRIM_HORIZON (or anywhere) as if it had no checkpoint
    t.deepEqual(ledger.deliveries.filter((d) => d.shard === bad).map((d) => d.data), []);
    const perSecond = malformed(member).length / ((Date.now() - ledger.deliveries[0]!.t) / 1000);

    // when an operator repairs the item with a real checkpoint
    const records = byShard(bad);
    const resumeAfter = records[4]!;
    await dynamo.send(new PutItemCommand({ TableName: TABLE, Item: { ...key, sequence_number: S(resumeAfter.seq), last_update: S(new Date().toISOString()) } }));
    // then the shard is read from right after it
    const rest = records.slice(5);
    await waitUntil(() => rest.every((w) => ledger.deliveries.some((d) => d.data === w.data)), 20_000, 'the repaired shard');
    t.deepEqual(ledger.deliveries.filter((d) => d.shard === bad).map((d) => d.data), rest.map((w) => w.data));
    t.log(`a malformed checkpoint was reported about ${perSecond.toFixed(1)} times a second until repaired`);
    t.is(member.failed, undefined);
  } finally {
    await closeAll([member]);
  }
});

test('malformed client and shard-cache items are reported by key and path and skipped; the leader rewrites the cache', async (t) => {
  const { dynamo, store } = directClients(t.context);
  const { stream, written } = await streamWithRecords(t, 'badmisc');
  const app = 'badmisc';
  await dynamo.send(new PutItemCommand({ TableName: TABLE, Item: { pk: S(`client#${app}`), sk: S('ghost'), last_update: S('yesterday') } }));
  await dynamo.send(
    new PutItemCommand({
      TableName: TABLE,
      Item: { pk: S(`shard_cache#${app}`), sk: S(stream), shards: { L: [{ M: { ID: S(shardId(0)), Closed: S('no') } }] } },
    }),
  );
  const ledger = new Ledger();
  const member = startMember(memberConfig(endpointsOf(t), app, 'only'), [stream], ledger);
  try {
    await waitUntil(() => written.every((w) => ledger.deliveries.some((d) => d.data === w.data)), 20_000, 'every record');
    const messages = [...new Set(malformed(member).map((e) => e.message))].sort();
    t.deepEqual(messages, [
      `Malformed state-store item pk="client#${app}" sk="ghost" skipped: Expecting RFC3339 date-time at ClientItem.last_update but instead got: "yesterday"`,
      `Malformed state-store item pk="shard_cache#${app}" sk="${stream}" skipped: Expecting boolean at ShardCacheItem.shards.0.Closed but instead got: "no"`,
    ]);
    // the ghost does not count as a member: the only client holds both shards
    t.deepEqual(owned(member.assignment, stream), [shardId(0), shardId(1)]);
    // and the leader replaced the broken cache with the real shard list
    t.deepEqual((await store.getShards(app, stream))?.map((s) => [s.id, s.closed]), [
      [shardId(0), false],
      [shardId(1), false],
    ]);
    t.is(member.failed, undefined);
  } finally {
    await closeAll([member]);
  }
});

test('items written by a newer version: unknown attributes are ignored and kept; a known attribute in a new shape is reported, left alone, and its shard not read', async (t) => {
  const { dynamo } = directClients(t.context);
  const { stream, byShard } = await streamWithRecords(t, 'newer');
  const app = 'newer';
  const [extended, reshaped] = [shardId(0), shardId(1)];
  const now = S(new Date().toISOString());
  const extra = { format: { N: '2' }, lease_expires: S('2099-01-01T00:00:00Z') };
  const resumeAfter = byShard(extended)[2]!;
  const cpKey = (id: string) => ({ pk: S(`check_point#${app}#${stream}`), sk: S(id) });
  const reshapedItem = { ...cpKey(reshaped), owner: { M: { id: S('someone'), epoch: { N: '3' } } }, last_update: now };
  await dynamo.send(new PutItemCommand({ TableName: TABLE, Item: { ...cpKey(extended), sequence_number: S(resumeAfter.seq), last_update: now, ...extra } }));
  await dynamo.send(new PutItemCommand({ TableName: TABLE, Item: reshapedItem }));
  await dynamo.send(new PutItemCommand({ TableName: TABLE, Item: { pk: S(`client#${app}`), sk: S('only'), last_update: now, ...extra } }));
  const ledger = new Ledger();
  const member = startMember(memberConfig(endpointsOf(t), app, 'only'), [stream], ledger);
  const expected = byShard(extended).slice(3);
  try {
    await waitUntil(() => expected.every((w) => ledger.deliveries.some((d) => d.data === w.data)), 20_000, 'the extended shard');
    await waitUntil(() => malformed(member).length > 0, 10_000, 'the report');
    await sleep(1500);
    // the shard with extra attributes resumed after its checkpoint, nothing reported about it
    t.deepEqual(ledger.deliveries.filter((d) => d.shard === extended).map((d) => d.data), expected.map((w) => w.data));
    const reports = [...new Set(malformed(member).map((e) => e.message))];
    t.is(reports.length, 1, reports.join('\n'));
    t.true(
      reports[0]!.startsWith(
        `Malformed state-store item pk="check_point#${app}#${stream}" sk="${reshaped}" skipped: ` +
          'Expecting string at ShardStateItem.owner but instead got: {"id":"someone","epoch":',
      ),
      reports[0],
    );
    // the reshaped one: not read, and not overwritten
    t.deepEqual(ledger.deliveries.filter((d) => d.shard === reshaped).map((d) => d.data), []);
    await closeAll([member]);
    const get = async (k: Record<string, AttributeValue>) => (await dynamo.send(new GetItemCommand({ TableName: TABLE, Key: k, ConsistentRead: true }))).Item;
    t.deepEqual(await get(cpKey(reshaped)), reshapedItem);
    // our own writes (commits, heartbeats) kept the attributes we do not know
    const cp = await get(cpKey(extended));
    t.deepEqual([cp?.['format'], cp?.['lease_expires']], [extra.format, extra.lease_expires]);
    t.is(cp?.['sequence_number']?.S, expected[expected.length - 1]!.seq, 'committed on close');
    t.is(member.failed, undefined);
  } finally {
    await closeAll([member]);
  }
});

test('a checkpoint Kinesis rejects is reported with the sequence number, retried with backoff, and never replaced by LATEST or TRIM_HORIZON', async (t) => {
  const { dynamo, kinesis } = directClients(t.context);
  const { stream, byShard } = await streamWithRecords(t, 'rejected');
  const app = 'rejected';
  const [bad, good] = [shardId(0), shardId(1)];
  // after the shard's start, so it is not taken for an older stream's, but no record of the shard
  const last = byShard(bad).pop()!.seq;
  const bogus = `${last.slice(0, -3)}999`;
  t.true(compareSeq(bogus, last) > 0);
  await dynamo.send(
    new PutItemCommand({
      TableName: TABLE,
      Item: { pk: S(`check_point#${app}#${stream}`), sk: S(bad), sequence_number: S(bogus), last_update: S(new Date().toISOString()) },
    }),
  );
  const ledger = new Ledger();
  // LATEST: a silent fallback to the initial position would show as new records of the bad shard
  const member = startMember(memberConfig(endpointsOf(t), app, 'only', { initialPosition: 'LATEST' }), [stream], ledger);
  try {
    await waitUntil(() => owned(member.assignment, stream).length === 2, 20_000, 'both shards assigned');
    await sleep(1500);
    const later: Written[] = await putBatch(kinesis, stream, 'later', 16, 40, 0);
    const newGood = later.filter((w) => w.shard === good);
    await waitUntil(() => newGood.every((w) => ledger.deliveries.some((d) => d.data === w.data)), 20_000, 'the good shard');
    await sleep(3000);
    const rejected = member.errors.map((e) => e.error).filter((e): e is KinesisError => e instanceof KinesisError && e.shardId === bad);
    const span = (Date.now() - member.errors[0]!.t) / 1000;
    t.log(`the rejected checkpoint was reported ${rejected.length} times in ${span.toFixed(1)} s: ${rejected[0]?.message}`);
    t.true(rejected.length >= 2, 'reported, and retried');
    t.true(rejected.length <= 4 * span, `${rejected.length} reports in ${span} s: no busy loop`);
    t.regex(rejected[0]!.message, new RegExp(`^Kinesis GetShardIterator on stream "${stream}" shard ${bad} failed: .*${bogus}`));
    // nothing of the bad shard was delivered: neither the old records (TRIM_HORIZON) nor the new ones (LATEST)
    t.deepEqual(ledger.deliveries.filter((d) => d.shard === bad).map((d) => d.data), []);
    t.is(byShard(good).filter((w) => ledger.deliveries.some((d) => d.data === w.data)).length, 0, 'LATEST on the good shard');
    // and the stored checkpoint was left as it was
    const item = (await dynamo.send(new GetItemCommand({ TableName: TABLE, Key: { pk: S(`check_point#${app}#${stream}`), sk: S(bad) }, ConsistentRead: true }))).Item;
    t.is(item?.['sequence_number']?.S, bogus);
    t.is(member.failed, undefined);
  } finally {
    await closeAll([member]);
  }
});

test("a checkpoint before the shard's first sequence number (an older stream's) is reported, not ignored silently", async (t) => {
  const { dynamo } = directClients(t.context);
  const { stream, byShard } = await streamWithRecords(t, 'stale');
  const app = 'stale';
  const old = shardId(0);
  await dynamo.send(
    new PutItemCommand({
      TableName: TABLE,
      Item: { pk: S(`check_point#${app}#${stream}`), sk: S(old), sequence_number: S('12345'), last_update: S(new Date().toISOString()) },
    }),
  );
  const ledger = new Ledger();
  const member = startMember(memberConfig(endpointsOf(t), app, 'only'), [stream], ledger);
  try {
    // as documented, such state is left by a stream deleted and created again, and not used: the
    // shard is read as one without a checkpoint (here TRIM_HORIZON) ...
    await waitUntil(() => byShard(old).every((w) => ledger.deliveries.some((d) => d.data === w.data)), 20_000, 'the shard');
    // ... but that is reported, with the checkpoint, the shard and the stream
    const stale = member.errors.map((e) => e.error).filter((e) => e.code === 'CHECKPOINT_STALE');
    t.true(stale.length >= 1);
    t.regex(
      stale[0]!.message,
      new RegExp(`^Checkpoint 12345 of shard ${old} of stream "${stream}" was written for an older shard with that id \\(this one starts at sequence number \\d+; was the stream deleted and created again\\?\\): it is ignored`),
    );
    t.is(member.failed, undefined);
  } finally {
    await closeAll([member]);
  }
});
