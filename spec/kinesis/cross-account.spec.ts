/**
 * Streams in another account: Kinesis calls use credentials of the assumed role (STS mocked with
 * aws-sdk-client-mock), while the state store keeps the caller's own. The calls go to a local
 * capture server that reads the access key id from each request's SigV4 Authorization header,
 * so what is checked is what the SDK really signed with.
 */
import anyTest, { type TestFn } from 'ava';
import { createServer, type Server } from 'node:http';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/nested-clients/sts';
import { mockClient } from 'aws-sdk-client-mock';
import { lastValueFrom } from 'rxjs';
import { AssumeRoleError } from '../../src/errors.js';
import { resolveKinesisApi } from '../../src/kinesis/resolve-kinesis-api.js';
import { DynamoDBStateStore } from '../../src/state-store/dynamodb/dynamodb-state-store.js';

interface Seen {
  target: string;
  accessKeyId: string;
}
const test = anyTest as TestFn<{ server: Server; endpoint: string; seen: Seen[] }>;

test.before(async (t) => {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const accessKeyId = /Credential=([^/]+)\//.exec(String(req.headers['authorization'] ?? ''))?.[1] ?? '';
      seen.push({ target, accessKeyId });
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      res.end(target.endsWith('ListShards') ? '{"Shards":[]}' : '{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.context = { server, endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`, seen };
});

test.after.always((t) => {
  t.context.server?.close();
});

const base = { accessKeyId: 'AKIDCALLEROWN0000000', secretAccessKey: 'caller-secret' };
const roleArn = 'arn:aws:iam::210987654321:role/stream-reader';
const credentials = (id: string, expiresInMs: number) => ({
  AccessKeyId: id,
  SecretAccessKey: `secret-of-${id}`,
  SessionToken: `token-of-${id}`,
  Expiration: new Date(Date.now() + expiresInMs),
});

test.serial('Kinesis calls are signed with the assumed role, the state store with the caller\'s own credentials', async (t) => {
  const sts = mockClient(STSClient);
  t.teardown(() => sts.restore());
  sts.on(AssumeRoleCommand).resolves({ Credentials: credentials('ASIAASSUMEDROLE00001', 3_600_000) });
  const kinesis = resolveKinesisApi({
    region: 'us-east-1',
    endpoint: t.context.endpoint,
    credentials: base,
    roleArn,
    externalId: 'the-external-id',
    sessionName: 'orders-reader',
    http1: true,
  });
  const store = new DynamoDBStateStore({ table: 'state', region: 'us-east-1', endpoint: t.context.endpoint, credentials: base });
  t.context.seen.length = 0;

  await lastValueFrom(kinesis.listShards('orders'));
  await store.pingClient('app', 'c1', new Date());

  // the role was assumed with the configured parameters, with the caller's credentials
  t.deepEqual(
    sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input),
    [{ RoleArn: roleArn, ExternalId: 'the-external-id', RoleSessionName: 'orders-reader' }],
  );
  t.deepEqual(t.context.seen, [
    { target: 'Kinesis_20131202.ListShards', accessKeyId: 'ASIAASSUMEDROLE00001' },
    { target: 'DynamoDB_20120810.UpdateItem', accessKeyId: 'AKIDCALLEROWN0000000' },
  ]);
});

test.serial('credentials about to expire are refreshed with a new AssumeRole before they are used', async (t) => {
  const sts = mockClient(STSClient);
  t.teardown(() => sts.restore());
  sts
    .on(AssumeRoleCommand)
    .resolvesOnce({ Credentials: credentials('ASIAEXPIRINGSOON0001', 10_000) }) // inside the SDK's 5-minute window
    .resolves({ Credentials: credentials('ASIAREFRESHED0000002', 3_600_000) });
  const kinesis = resolveKinesisApi({ region: 'us-east-1', endpoint: t.context.endpoint, credentials: base, roleArn, http1: true });
  t.context.seen.length = 0;

  await lastValueFrom(kinesis.listShards('orders'));
  await lastValueFrom(kinesis.listShards('orders'));

  // credentials expiring within the SDK's refresh window (5 minutes) are replaced before use
  t.deepEqual(
    t.context.seen.map((s) => s.accessKeyId),
    ['ASIAREFRESHED0000002', 'ASIAREFRESHED0000002'],
  );
  t.is(sts.commandCalls(AssumeRoleCommand).length, 2, 'assumed again once, not per call');
});

test.serial('a denied AssumeRole is an AssumeRoleError that names the role', async (t) => {
  const sts = mockClient(STSClient);
  t.teardown(() => sts.restore());
  sts.on(AssumeRoleCommand).rejects(
    Object.assign(new Error(`User: arn:aws:iam::123456789012:user/app is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`), {
      name: 'AccessDenied',
    }),
  );
  const kinesis = resolveKinesisApi({ region: 'us-east-1', endpoint: t.context.endpoint, credentials: base, roleArn, http1: true });
  const err = await t.throwsAsync(lastValueFrom(kinesis.listShards('orders')));
  t.true(err instanceof AssumeRoleError, String(err));
  t.is((err as AssumeRoleError).roleArn, roleArn);
  t.regex(err!.message, /Could not assume role arn:aws:iam::210987654321:role\/stream-reader for Kinesis: AccessDenied/);
  t.false(err!.message.includes('caller-secret'));
});

test.serial('a stream named by ARN is addressed by StreamARN; records and state use its name', async (t) => {
  const { KinesisClient, ListShardsCommand, GetShardIteratorCommand, GetRecordsCommand } = await import('@aws-sdk/client-kinesis');
  const { createKinesumer } = await import('../../src/index.js');
  const { MemoryStateStore } = await import('../../src/state-store/memory-state-store.js');
  const { silentLogger } = await import('../../src/logger.js');
  const { firstValueFrom } = await import('rxjs');
  const client = new KinesisClient({ region: 'us-east-1', credentials: base });
  const mock = mockClient(client);
  const arn = 'arn:aws:kinesis:us-east-1:210987654321:stream/orders';
  mock.on(ListShardsCommand).resolves({
    Shards: [{ ShardId: 'shardId-000000000000', HashKeyRange: { StartingHashKey: '0', EndingHashKey: '1' }, SequenceNumberRange: { StartingSequenceNumber: '1' } }],
  });
  mock.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it' });
  mock.on(GetRecordsCommand).resolves({
    Records: [{ SequenceNumber: '5', PartitionKey: 'k', Data: new Uint8Array([1]) }],
    NextShardIterator: 'it',
    MillisBehindLatest: 0,
  });
  const store = new MemoryStateStore();
  const consumer = createKinesumer({ app: 'x', kinesis: client, stateStore: store, initialPosition: 'TRIM_HORIZON', logger: silentLogger });
  const record = await firstValueFrom(consumer.consume([arn]));
  await consumer.close();
  t.is(record.stream, 'orders');
  t.deepEqual(mock.commandCalls(ListShardsCommand)[0]!.args[0].input, { StreamARN: arn });
  t.like(mock.commandCalls(GetShardIteratorCommand)[0]!.args[0].input, { StreamARN: arn, ShardId: 'shardId-000000000000' });
  t.false('StreamName' in mock.commandCalls(GetShardIteratorCommand)[0]!.args[0].input);
  t.deepEqual(Object.keys(store.snapshot().states['x'] ?? {}), ['orders']);
});

test('two streams of one name in two accounts are refused in one consumer, with a way out', async (t) => {
  const { createKinesumer } = await import('../../src/index.js');
  const { MemoryStateStore } = await import('../../src/state-store/memory-state-store.js');
  const { UsageError } = await import('../../src/errors.js');
  const consumer = createKinesumer({ app: 'x', kinesis: { region: 'us-east-1' }, stateStore: new MemoryStateStore() });
  const err = t.throws(() =>
    consumer.consume(['arn:aws:kinesis:us-east-1:111111111111:stream/orders', 'arn:aws:kinesis:us-east-1:222222222222:stream/orders']),
  );
  t.true(err instanceof UsageError);
  t.regex(err!.message, /same name "orders".*two consumers of different apps/);
  t.throws(() => consumer.consume(['arn:aws:kinesis:us-east-1:1:stream/bad']), { message: /stream ARNs/ });
});
