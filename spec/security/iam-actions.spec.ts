/**
 * Least privilege: aws-sdk-client-mock wraps the very KinesisClient and DynamoDBClient instances
 * the consumers use, calling through to kinesis-local and dynalite, and records every command
 * they send during a full run in polling mode: start, consume, checkpoint, a dead client pruned,
 * a client joining (rebalance) and leaving, a shard split (parents finished, their state cleaned
 * up), a manual commit, and close. Every command must be one of the actions of the README's IAM
 * policy, on the consumed stream or the state table only.
 */
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { KinesisClient, ListShardsCommand, SplitShardCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import anyTest, { type TestFn } from 'ava';
import { mockClient } from 'aws-sdk-client-mock';
import { localAws } from '../helpers/emulators.js';
import { createStream } from '../helpers/aws-fixtures.js';
import {
  Ledger,
  TABLE,
  deliveryReport,
  directClients,
  memberConfig,
  owned,
  putBatch,
  sleep,
  startMember,
  waitUntil,
  withEmulators,
  type Emulators,
  type Written,
} from '../faults/fixtures.js';

const test = anyTest as TestFn<Emulators>;
withEmulators(test);

/** The README's IAM policy (polling mode). */
const ALLOWED = {
  kinesis: ['GetRecords', 'GetShardIterator', 'ListShards'],
  dynamodb: ['BatchGetItem', 'BatchWriteItem', 'DeleteItem', 'DescribeTable', 'GetItem', 'Query', 'UpdateItem'],
};

test('a full run in polling mode calls only the actions of the README IAM policy, on the stream and the table', async (t) => {
  const direct = directClients(t.context);
  const stream = `iam-${Date.now().toString(36)}`;
  await createStream(direct.kinesis, stream, 2);
  const app = 'iam';
  // the clients the consumers use, wrapped: every command is recorded, then really sent
  const kinesis = new KinesisClient({ ...localAws, endpoint: t.context.kinesis.endpoint, requestHandler: new NodeHttpHandler() });
  const dynamo = new DynamoDBClient({ ...localAws, endpoint: t.context.dynamo.endpoint });
  const kinesisMock = mockClient(kinesis);
  const dynamoMock = mockClient(dynamo);
  kinesisMock.send.callThrough();
  dynamoMock.send.callThrough();

  const ledger = new Ledger();
  const endpoints = { kinesisEndpoint: t.context.kinesis.endpoint, dynamoEndpoint: t.context.dynamo.endpoint };
  const config = (id: string) =>
    memberConfig(endpoints, app, id, { kinesis, stateStore: { table: TABLE, client: dynamo }, commit: { interval: 300 } });
  // a client that died long ago, for the leader to prune
  await direct.dynamo.send(
    new PutItemCommand({ TableName: TABLE, Item: { pk: { S: `client#${app}` }, sk: { S: 'ghost' }, last_update: { S: '2020-01-01T00:00:00Z' } } }),
  );
  const written: Written[] = await putBatch(direct.kinesis, stream, 'w', 8, 40, 0);
  const a = startMember(config('a'), [stream], ledger);
  const members = [a];
  try {
    await waitUntil(() => deliveryReport(written, ledger.deliveries).lost.length === 0, 20_000, 'the first records');
    // a client joins: the shards are split between the two
    const b = startMember(config('b'), [stream], ledger);
    members.push(b);
    await waitUntil(() => owned(a.assignment, stream).length === 1 && owned(b.assignment, stream).length === 1, 20_000, 'a 1/1 split');
    // a shard is split: its children are read once it is read to its end
    const shards = (await direct.kinesis.send(new ListShardsCommand({ StreamName: stream }))).Shards!;
    const parent = shards[0]!;
    const middle = (BigInt(parent.HashKeyRange!.StartingHashKey!) + BigInt(parent.HashKeyRange!.EndingHashKey!)) / 2n;
    await direct.kinesis.send(new SplitShardCommand({ StreamName: stream, ShardToSplit: parent.ShardId!, NewStartingHashKey: String(middle) }));
    await sleep(500);
    written.push(...(await putBatch(direct.kinesis, stream, 'x', 8, 40, 40)));
    await waitUntil(() => deliveryReport(written, ledger.deliveries).lost.length === 0, 30_000, 'the records after the split');
    await sleep(1500); // the leader cleans up the finished parent's state
    // a manual commit, then the newcomer leaves and the first one closes
    await a.consumer.commit();
    await b.close();
    await sleep(1000);
    await a.close();

    const sent = (mock: typeof kinesisMock | typeof dynamoMock) =>
      mock.calls().map((call) => {
        const command = call.args[0] as unknown as { constructor: { name: string }; input: Record<string, unknown> };
        return { action: command.constructor.name.replace(/Command$/, ''), input: command.input };
      });
    const kinesisCalls = sent(kinesisMock);
    const dynamoCalls = sent(dynamoMock);
    const kinesisActions = [...new Set(kinesisCalls.map((c) => c.action))].sort();
    const dynamoActions = [...new Set(dynamoCalls.map((c) => c.action))].sort();
    t.log(`${kinesisCalls.length} Kinesis calls: ${kinesisActions.join(', ')}; ${dynamoCalls.length} DynamoDB calls: ${dynamoActions.join(', ')}`);

    // only the policy's actions
    t.deepEqual(kinesisActions.filter((x) => !ALLOWED.kinesis.includes(x)), []);
    t.deepEqual(dynamoActions.filter((x) => !ALLOWED.dynamodb.includes(x)), []);
    // (and the run did exercise them: a recorder that saw nothing would prove nothing)
    t.deepEqual(kinesisActions, ALLOWED.kinesis);
    for (const action of ['DescribeTable', 'GetItem', 'UpdateItem', 'Query', 'BatchWriteItem', 'DeleteItem']) t.true(dynamoActions.includes(action), action);
    // only on the consumed stream and the state table
    for (const c of kinesisCalls) {
      if (c.action === 'GetRecords') t.true(typeof c.input['ShardIterator'] === 'string');
      else t.is(c.input['StreamName'], stream, `${c.action} ${JSON.stringify(c.input)}`);
    }
    for (const c of dynamoCalls) {
      const tables = c.input['RequestItems'] ? Object.keys(c.input['RequestItems'] as object) : [c.input['TableName']];
      t.deepEqual(tables, [TABLE], `${c.action} ${JSON.stringify(c.input).slice(0, 200)}`);
    }
    t.deepEqual(members.map((m) => m.failed), [undefined, undefined]);
  } finally {
    await Promise.all(members.map((m) => m.close()));
    members.forEach((m) => m.subscription.unsubscribe());
    kinesisMock.restore();
    dynamoMock.restore();
  }
});
