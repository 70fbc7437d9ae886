/**
 * Clients from another copy of the AWS SDK (the application's): how they are told from the
 * library's own, from other services' clients and from values that are no client at all, and
 * that a client built from their settings sends the library's commands where and how they would:
 * to their endpoint, signed with their credentials and region, through their request handler.
 *
 * The "other copy" here is a stand-in with the shape of a resolved SDK v3 client (the packed-
 * tarball spec runs the real @aws-sdk 3.600.0 clients of an application).
 */
import { Readable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import test from 'ava';
import { firstValueFrom } from 'rxjs';
import { resolveConfig } from '../../src/config/resolve-config.js';
import { ConfigError } from '../../src/errors.js';
import { adoptSdkClient, checkSdkClient, type AwsSdkClient } from '../../src/internal/sdk-client.js';
import { SdkKinesisApi } from '../../src/kinesis/sdk-kinesis-api.js';
import { createStateTable } from '../../src/state-store/dynamodb/create-table.js';
import { DynamoDBStateStore } from '../../src/state-store/dynamodb/dynamodb-state-store.js';

/** A request as the application's handler saw it. */
interface SeenRequest {
  hostname: string;
  port: number | undefined;
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** A request handler of "another copy": answers every request with `answer(request)` as JSON. */
function foreignHandler(answer: (request: SeenRequest) => unknown) {
  const seen: SeenRequest[] = [];
  return {
    seen,
    handle: async (request: { hostname: string; port?: number; path: string; headers: Record<string, string>; body?: unknown }) => {
      const r: SeenRequest = { hostname: request.hostname, port: request.port, path: request.path, headers: request.headers, body: request.body instanceof Uint8Array ? Buffer.from(request.body).toString() : String(request.body ?? '') };
      seen.push(r);
      const body = Buffer.from(JSON.stringify(answer(r)));
      return { response: { statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: Readable.from([body]) } };
    },
    updateHttpClientConfig: () => {},
    httpHandlerConfigs: () => ({}),
  };
}

/**
 * A client as another copy of the SDK resolves it: providers for region, credentials, endpoint
 * and retries, its own request handler, and `send` on its base class only.
 */
function foreignClient(serviceId: string, handler: ReturnType<typeof foreignHandler>, overrides: Record<string, unknown> = {}): AwsSdkClient {
  class Client {
    config: Record<string, unknown> = {
      serviceId,
      region: async () => 'eu-west-1',
      credentials: async () => ({ accessKeyId: 'APPKEYID', secretAccessKey: 'app-secret' }),
      endpoint: async () => ({ protocol: 'http:', hostname: 'app.endpoint.test', port: 4567, path: '/' }),
      isCustomEndpoint: true,
      requestHandler: handler,
      maxAttempts: async () => 7,
      retryMode: async () => 'adaptive',
      ...overrides,
    };
    send(): Promise<never> {
      return Promise.reject(new Error("the application's client must not run the library's commands"));
    }
  }
  class ServiceClient extends Client {}
  return new ServiceClient();
}

const listShardsAnswer = { Shards: [{ ShardId: 'shardId-000000000000', HashKeyRange: { StartingHashKey: '0', EndingHashKey: '1' }, SequenceNumberRange: { StartingSequenceNumber: '1' } }] };

test("a Kinesis client of another copy: the library's commands go through its handler, to its endpoint, signed with its credentials and region", async (t) => {
  const handler = foreignHandler(() => listShardsAnswer);
  const config = resolveConfig({ app: 'app', kinesis: foreignClient('Kinesis', handler), stateStore: { table: 'abc' } });
  t.true(config.kinesis instanceof KinesisClient);
  const client = config.kinesis as KinesisClient;

  const shards = await firstValueFrom(new SdkKinesisApi(client).listShards('orders'));

  t.deepEqual(shards.map((s) => s.shardId), ['shardId-000000000000']);
  t.is(handler.seen.length, 1);
  const [request] = handler.seen;
  t.is(request!.hostname, 'app.endpoint.test');
  t.is(request!.port, 4567);
  t.is(request!.headers['x-amz-target'], 'Kinesis_20131202.ListShards');
  t.regex(request!.headers['authorization'] ?? '', /Credential=APPKEYID\/\d{8}\/eu-west-1\/kinesis\/aws4_request/);
  t.is(await client.config.maxAttempts(), 7);
  t.is(await (client.config.retryMode as () => Promise<string>)(), 'adaptive');
});

test("a DynamoDB client of another copy in stateStore.client, in DynamoDBStateStore and in createStateTable", async (t) => {
  const handler = foreignHandler((request) =>
    request.headers['x-amz-target'] === 'DynamoDB_20120810.CreateTable' ? { TableDescription: { TableName: 'state' } } : { Table: { TableName: 'state', TableStatus: 'ACTIVE' } },
  );
  const foreign = foreignClient('DynamoDB', handler);

  const config = resolveConfig({ app: 'app', kinesis: {}, stateStore: { table: 'state', client: foreign } });
  const client = (config.stateStore as { client: unknown }).client;
  t.true(client instanceof DynamoDBClient);
  t.true(new DynamoDBStateStore({ table: 'state', client: foreign }).client instanceof DynamoDBClient);

  const table = await createStateTable(foreign, 'state');
  t.is(table.TableStatus, 'ACTIVE');
  t.deepEqual(
    handler.seen.map((r) => r.headers['x-amz-target']),
    ['DynamoDB_20120810.CreateTable', 'DynamoDB_20120810.DescribeTable'],
  );
  t.true(handler.seen.every((r) => r.hostname === 'app.endpoint.test' && /\/eu-west-1\/dynamodb\/aws4_request/.test(r.headers['authorization'] ?? '')));
});

test("the library's own clients are used as they are, mocked or not", (t) => {
  const kinesis = new KinesisClient({ region: 'us-east-1' });
  kinesis.send = (() => Promise.reject(new Error('mocked'))) as never;
  t.is(adoptSdkClient(kinesis, KinesisClient), kinesis);
  t.deepEqual(checkSdkClient(kinesis, 'Kinesis', KinesisClient, 'pkg'), { ok: true });
  const dynamo = new DynamoDBClient({ region: 'us-east-1' });
  t.is(resolveConfig({ app: 'app', kinesis, stateStore: { table: 'abc', client: dynamo } }).kinesis, kinesis);
  t.is(new DynamoDBStateStore({ table: 'abc', client: dynamo }).client, dynamo);
});

test('without a custom endpoint, none is adopted: the new client derives it from the region', async (t) => {
  const handler = foreignHandler(() => listShardsAnswer);
  const foreign = foreignClient('Kinesis', handler, { endpoint: undefined, isCustomEndpoint: false });
  const client = adoptSdkClient(foreign, KinesisClient);
  await firstValueFrom(new SdkKinesisApi(client).listShards('orders'));
  t.is(handler.seen[0]!.hostname, 'kinesis.eu-west-1.amazonaws.com');
});

test('values that are not usable clients get a hint that says why', (t) => {
  const handler = foreignHandler(() => ({}));
  const mocked = foreignClient('Kinesis', handler);
  Object.defineProperty(mocked, 'send', { value: () => Promise.resolve({}) });
  const cases: Array<[unknown, string]> = [
    [{ send() {} }, ' - it has send() but no config.serviceId, so it is not an AWS SDK v3 client (@aws-sdk/client-kinesis)'],
    [foreignClient('DynamoDB', handler), ' - it is a client of DynamoDB, not of Kinesis'],
    [{ config: { region: 'eu-west-1' }, makeRequest() {} }, ' - it looks like an AWS SDK v2 client; rx-kinesumer needs an AWS SDK v3 client (@aws-sdk/client-kinesis 3.x), or the options to build one'],
  ];
  for (const [value, hint] of cases) t.deepEqual(checkSdkClient(value, 'Kinesis', KinesisClient, '@aws-sdk/client-kinesis'), { ok: false, hint });

  const old = checkSdkClient(foreignClient('Kinesis', handler, { region: undefined }), 'Kinesis', KinesisClient, '@aws-sdk/client-kinesis');
  t.regex(old && !old.ok ? old.hint : '', /^ - its config has no region, so it comes from a @aws-sdk\/client-kinesis outside the supported range/);
  const mock = checkSdkClient(mocked, 'Kinesis', KinesisClient, '@aws-sdk/client-kinesis');
  t.regex(mock && !mock.ok ? mock.hint : '', /^ - its send\(\) was replaced \(a mock of your own copy of @aws-sdk\/client-kinesis\?\)/);

  for (const value of ['us-east-1', 42, null, { region: 'eu-west-1' }]) t.is(checkSdkClient(value, 'Kinesis', KinesisClient, 'pkg'), undefined);
});

test('createStateTable and DynamoDBStateStore refuse a value that is not a DynamoDB client with a ConfigError', async (t) => {
  const err = await t.throwsAsync(createStateTable({ send: async () => ({}) } as never, 'state'), { instanceOf: ConfigError });
  t.deepEqual(err?.problems, [
    {
      path: 'createStateTable(client)',
      message:
        'Expecting DynamoDBClient at createStateTable(client) but instead got: an object - it has send() but no config.serviceId, ' +
        'so it is not an AWS SDK v3 client (@aws-sdk/client-dynamodb)',
    },
  ]);
  const kinesis = new KinesisClient({ region: 'us-east-1' });
  const wrong = t.throws(() => new DynamoDBStateStore({ table: 'state', client: kinesis }), { instanceOf: ConfigError });
  t.is(wrong?.problems[0]?.message, 'Expecting DynamoDBClient at DynamoDBStateStore.client but instead got: an instance of KinesisClient - it is a client of Kinesis, not of DynamoDB');
});
