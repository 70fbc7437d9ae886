/**
 * How DynamoDBStateStore turns SDK failures into the library's errors, and how it retries what
 * batch calls leave unprocessed. The SDK seam is replaced with aws-sdk-client-mock on one client
 * instance per test (AVA runs a file's tests concurrently).
 */
import test from 'ava';
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  GetItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  DynamoDBServiceException,
  ProvisionedThroughputExceededException,
  QueryCommand,
  ResourceNotFoundException,
  UpdateItemCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { StateStoreError, TableNotFoundError, isRetriable } from '../../../src/errors.js';
import { isRetriableAwsError, redactSecrets } from '../../../src/state-store/dynamodb/dynamodb-errors.js';
import { DynamoDBStateStore } from '../../../src/state-store/dynamodb/dynamodb-state-store.js';
import { localAws } from '../../helpers/emulators.js';
import { at, checkpoint, seq, shardId } from '../contract.js';

const TABLE = 'state';

function setup(config: { endpoint?: string } = {}) {
  const client = new DynamoDBClient({ ...localAws, ...config });
  const mock = mockClient(client);
  const store = new DynamoDBStateStore({
    table: TABLE,
    client,
    batchRetry: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 2 },
  });
  return { client, mock, store };
}

function serviceError(name: string, status: number, message = `${name} happened`): DynamoDBServiceException {
  return new DynamoDBServiceException({ name, $fault: status >= 500 ? 'server' : 'client', message, $metadata: { httpStatusCode: status } });
}

test('throttling is a retriable StateStoreError naming the operation, with the SDK error as cause', async (t) => {
  const { mock, store } = setup();
  const cause = new ProvisionedThroughputExceededException({ message: 'Rate of requests exceeds the allowed throughput', $metadata: { httpStatusCode: 400 } });
  mock.on(UpdateItemCommand).rejects(cause);
  const err = await t.throwsAsync(store.pingClient('app', 'a', at(0)), { instanceOf: StateStoreError });
  t.true(err?.retriable);
  t.true(isRetriable(err));
  t.is(err?.operation, 'pingClient');
  t.is(err?.cause, cause);
  t.regex(err?.message ?? '', /^State store pingClient failed: ProvisionedThroughputExceededException: Rate of requests.*\(HTTP 400\) on table "state"$/);
});

for (const [name, status] of [
  ['ThrottlingException', 400],
  ['RequestLimitExceeded', 400],
  ['InternalServerError', 500],
  ['ServiceUnavailable', 503],
] as const) {
  test(`${name} is retriable`, async (t) => {
    const { mock, store } = setup();
    mock.on(QueryCommand).rejects(serviceError(name, status));
    const err = await t.throwsAsync(store.listAliveClients('app', at(0)), { instanceOf: StateStoreError });
    t.true(err?.retriable);
  });
}

test('socket errors, timeouts and $retryable errors are retriable', async (t) => {
  t.true(isRetriableAwsError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })));
  t.true(isRetriableAwsError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })));
  t.true(isRetriableAwsError(Object.assign(new Error('timed out'), { name: 'TimeoutError' })));
  t.true(isRetriableAwsError(Object.assign(new Error('odd'), { $retryable: { throttling: false } })));
  t.true(isRetriableAwsError(serviceError('SomethingNew', 502)));

  const { mock, store } = setup();
  mock.on(BatchWriteItemCommand).rejects(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
  const err = await t.throwsAsync(store.updateCheckpoints('app', 's', [checkpoint(0, 1)]), { instanceOf: StateStoreError });
  t.true(err?.retriable);
  t.is(err?.operation, 'updateCheckpoints');
});

for (const [name, status] of [
  ['AccessDeniedException', 400],
  ['ValidationException', 400],
  ['UnrecognizedClientException', 400],
] as const) {
  test(`${name} is not retriable`, async (t) => {
    const { mock, store } = setup();
    mock.on(UpdateItemCommand).rejects(serviceError(name, status));
    const err = await t.throwsAsync(store.updateShards('app', 's', []), { instanceOf: StateStoreError });
    t.false(err?.retriable);
    t.regex(err?.message ?? '', new RegExp(`updateShards failed: ${name}`));
  });
}

test('a missing table on any call is a TableNotFoundError with region and endpoint', async (t) => {
  const { mock, store } = setup({ endpoint: 'http://127.0.0.1:4567' });
  mock.on(QueryCommand).rejects(new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: { httpStatusCode: 400 } }));
  mock.on(DescribeTableCommand).rejects(new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: { httpStatusCode: 400 } }));
  const err = await t.throwsAsync(store.getCheckpoints('app', 's'), { instanceOf: TableNotFoundError });
  t.is(err?.table, TABLE);
  t.is(err?.location, 'region us-east-1, endpoint http://127.0.0.1:4567');
  t.false(err?.retriable);
  t.true(err?.cause instanceof ResourceNotFoundException);
  await t.throwsAsync(store.ready(), { instanceOf: TableNotFoundError });
});

test('the location never shows user info of an endpoint', async (t) => {
  const client = new DynamoDBClient(localAws);
  const mock = mockClient(client);
  mock.on(DescribeTableCommand).rejects(new ResourceNotFoundException({ message: 'not found', $metadata: {} }));
  const store = new DynamoDBStateStore({ table: TABLE, client, region: 'eu-west-1', endpoint: 'http://user:hunter2@db.local:8000' });
  const err = await t.throwsAsync(store.ready(), { instanceOf: TableNotFoundError });
  t.is(err?.location, 'region eu-west-1, endpoint http://db.local:8000');
  t.false(err?.message.includes('hunter2'));
});

test('error messages never contain credentials', async (t) => {
  const { mock, store } = setup();
  mock
    .on(UpdateItemCommand)
    .rejects(
      serviceError(
        'InvalidSignatureException',
        403,
        'Signature mismatch for Credential=AKIAIOSFODNN7EXAMPLE/20220121/us-east-1/dynamodb/aws4_request, ' +
          'Signature=0123456789abcdef0123456789abcdef; key AKIAIOSFODNN7EXAMPLE; X-Amz-Security-Token=FwoGZXIvYXdzEBYaD',
      ),
    );
  const err = await t.throwsAsync(store.pingClient('app', 'a', at(0)), { instanceOf: StateStoreError });
  const message = err?.message ?? '';
  t.false(message.includes('AKIAIOSFODNN7EXAMPLE'));
  t.false(message.includes('0123456789abcdef'));
  t.false(message.includes('FwoGZXIvYXdzEBYaD'));
  t.regex(message, /InvalidSignatureException: Signature mismatch for Credential=\[redacted\]/);
  t.is(redactSecrets('plain text'), 'plain text');
});

test('UnprocessedItems are retried, only they, until written', async (t) => {
  const { mock, store } = setup();
  // given the first call of the first batch leaves two puts unprocessed
  let leftOver: WriteRequest[] = [];
  mock
    .on(BatchWriteItemCommand)
    .callsFakeOnce((input: { RequestItems: Record<string, WriteRequest[]> }) => {
      leftOver = input.RequestItems[TABLE]!.slice(3, 5);
      return { UnprocessedItems: { [TABLE]: leftOver } };
    })
    .resolves({ UnprocessedItems: {} });
  // when 30 checkpoints are written
  await store.updateCheckpoints('app', 's', Array.from({ length: 30 }, (_, i) => checkpoint(i, i)));
  // then: 25, the 2 left over, then the remaining 5
  const sent = mock.commandCalls(BatchWriteItemCommand).map((c) => c.args[0].input.RequestItems?.[TABLE] ?? []);
  t.deepEqual(
    sent.map((requests) => requests.length),
    [25, 2, 5],
  );
  t.deepEqual(sent[1], leftOver);
  t.deepEqual(
    sent[1]!.map((r) => r.PutRequest?.Item?.['sk']?.S),
    [shardId(3), shardId(4)],
  );
});

test('UnprocessedItems left after the last attempt fail with a retriable StateStoreError', async (t) => {
  const { mock, store } = setup();
  mock.on(BatchWriteItemCommand).callsFake((input: { RequestItems: Record<string, WriteRequest[]> }) => ({
    UnprocessedItems: { [TABLE]: input.RequestItems[TABLE]!.slice(0, 1) },
  }));
  const err = await t.throwsAsync(store.updateCheckpoints('app', 's', [checkpoint(0, 1), checkpoint(1, 1)]), {
    instanceOf: StateStoreError,
  });
  t.true(err?.retriable);
  t.is(err?.operation, 'updateCheckpoints');
  t.regex(err?.message ?? '', /1 of 2 requests were still unprocessed after 3 calls/);
  t.is(mock.commandCalls(BatchWriteItemCommand).length, 3, 'maxAttempts calls, then give up');
});

test('UnprocessedKeys of BatchGetItem are retried and the answers merged', async (t) => {
  const { mock, store } = setup();
  const pk = 'check_point#app#s';
  const item = (n: number) => ({
    pk: { S: pk },
    sk: { S: shardId(n) },
    sequence_number: { S: String(n + 1) },
    last_update: { S: '2022-01-21T10:00:00Z' },
  });
  mock
    .on(BatchGetItemCommand)
    .resolvesOnce({
      Responses: { [TABLE]: [item(0)] },
      UnprocessedKeys: { [TABLE]: { Keys: [{ pk: { S: pk }, sk: { S: shardId(1) } }], ConsistentRead: true } },
    })
    .resolves({ Responses: { [TABLE]: [item(1)] } });
  const got = await store.getCheckpoints('app', 's', [shardId(1), shardId(0)]);
  t.deepEqual(
    got.map((c) => [c.shardId, c.sequenceNumber]),
    [
      [shardId(1), '2'],
      [shardId(0), '1'],
    ],
  );
  const calls = mock.commandCalls(BatchGetItemCommand).map((c) => c.args[0].input.RequestItems?.[TABLE]);
  t.is(calls.length, 2);
  t.true(calls.every((r) => r?.ConsistentRead === true));
  t.deepEqual(calls[1]?.Keys, [{ pk: { S: pk }, sk: { S: shardId(1) } }]);
});

test('pruneClients retries unprocessed deletes too', async (t) => {
  const { mock, store } = setup();
  const client = (id: string) => ({ pk: { S: 'client#app' }, sk: { S: id }, last_update: { S: '2022-01-21T10:00:00Z' } });
  mock.on(QueryCommand).resolves({ Items: [client('a'), client('b')] });
  mock.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [client('a'), client('b')] } });
  mock
    .on(BatchWriteItemCommand)
    .callsFakeOnce((input: { RequestItems: Record<string, WriteRequest[]> }) => ({
      UnprocessedItems: { [TABLE]: input.RequestItems[TABLE]!.slice(1) },
    }))
    .resolves({});
  t.deepEqual(await store.pruneClients('app', new Date('2022-01-22T00:00:00Z')), ['a', 'b']);
  const sent = mock.commandCalls(BatchWriteItemCommand).map((c) => c.args[0].input.RequestItems?.[TABLE]);
  t.deepEqual(sent[1], [{ DeleteRequest: { Key: { pk: { S: 'client#app' }, sk: { S: 'b' } } } }]);
  // and the LSI was queried with a bound past the cutoff, confirmed by parsed dates afterwards
  const query = mock.commandCalls(QueryCommand)[0]?.args[0].input;
  t.is(query?.IndexName, 'index-client-key-last-update');
  t.deepEqual(query?.ExpressionAttributeValues?.[':bound'], { S: '2022-01-22T14:00:01.000Z' });
});

test('ready() on a table still CREATING is a retriable StateStoreError', async (t) => {
  const { mock, store } = setup();
  mock.on(DescribeTableCommand).resolves({ Table: { TableName: TABLE, TableStatus: 'CREATING' } });
  const err = await t.throwsAsync(store.ready(), { instanceOf: StateStoreError });
  t.true(err?.retriable);
  t.regex(err?.message ?? '', /table "state" \(region us-east-1\) is still CREATING/);
});

test('errors are mapped after the first page of a paginated Query too', async (t) => {
  const { mock, store } = setup();
  mock
    .on(QueryCommand)
    .resolvesOnce({
      Items: [{ pk: { S: 'client#app' }, sk: { S: 'a' }, last_update: { S: '2022-01-21T10:00:00Z' } }],
      LastEvaluatedKey: { pk: { S: 'client#app' }, sk: { S: 'a' } },
    })
    .rejects(serviceError('ThrottlingException', 400));
  const err = await t.throwsAsync(store.listAliveClients('app', new Date(0)), { instanceOf: StateStoreError });
  t.true(err?.retriable);
  const second = mock.commandCalls(QueryCommand)[1]?.args[0].input;
  t.deepEqual(second?.ExclusiveStartKey, { pk: { S: 'client#app' }, sk: { S: 'a' } });
});

const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } });

test('a failed condition is an outcome, not an error: acquire undefined, commit false, release quiet', async (t) => {
  const { mock, store } = setup();
  mock.on(GetItemCommand).resolves({});
  mock.on(UpdateItemCommand).rejects(conditionFailed());
  const request = { clientId: 'a', aliveSince: at(0), shardStart: undefined, now: at(0) };
  t.is(await store.acquireShard('app', 's', shardId(0), request), undefined);
  t.false(await store.commitShard('app', 's', shardId(0), { clientId: 'a', sequenceNumber: seq(1), previous: undefined, finished: false, now: at(0) }));
  await t.notThrowsAsync(store.releaseShard('app', 's', shardId(0), 'a'));
});

test('other failures of the conditional writes are StateStoreErrors naming the operation', async (t) => {
  const { mock, store } = setup();
  mock.on(GetItemCommand).resolves({});
  mock.on(UpdateItemCommand).rejects(serviceError('ThrottlingException', 400));
  const request = { clientId: 'a', aliveSince: at(0), shardStart: undefined, now: at(0) };
  const acquired = await t.throwsAsync(store.acquireShard('app', 's', shardId(0), request), { instanceOf: StateStoreError });
  t.is(acquired?.operation, 'acquireShard');
  t.true(acquired?.retriable);
  const committed = await t.throwsAsync(
    store.commitShard('app', 's', shardId(0), { clientId: 'a', sequenceNumber: seq(1), previous: undefined, finished: false, now: at(0) }),
    { instanceOf: StateStoreError },
  );
  t.is(committed?.operation, 'commitShard');
  t.true(committed?.retriable);
  const released = await t.throwsAsync(store.releaseShard('app', 's', shardId(0), 'a'), { instanceOf: StateStoreError });
  t.is(released?.operation, 'releaseShard');
  mock.on(UpdateItemCommand).rejects(serviceError('ValidationException', 400));
  const invalid = await t.throwsAsync(store.acquireShard('app', 's', shardId(0), request), { instanceOf: StateStoreError });
  t.false(invalid?.retriable);
});

test('acquireShard conditions its write on exactly what it read', async (t) => {
  const { mock, store } = setup();
  const key = { pk: { S: 'check_point#app#s' }, sk: { S: shardId(0) } };
  mock.on(GetItemCommand).resolves({ Item: { ...key, owner: { S: 'dead' }, sequence_number: { S: seq(1) } } });
  mock.on(UpdateItemCommand).resolves({ Attributes: { ...key, owner: { S: 'a' }, sequence_number: { S: seq(1) }, last_update: { S: at(0).toISOString() } } });
  const state = await store.acquireShard('app', 's', shardId(0), { clientId: 'a', aliveSince: at(0), shardStart: undefined, now: at(0) });
  t.deepEqual(state, { shardId: shardId(0), sequenceNumber: seq(1), owner: 'a', finished: false, lastUpdate: at(0) });
  t.true(mock.commandCalls(GetItemCommand)[0]?.args[0].input.ConsistentRead);
  const update = mock.commandCalls(UpdateItemCommand)[0]?.args[0].input;
  t.is(update?.UpdateExpression, 'SET #owner = :me, #last_update = :now');
  t.is(update?.ConditionExpression, '#owner = :seen_owner AND (attribute_not_exists(#finished) OR #finished = :false)');
  t.deepEqual(update?.ExpressionAttributeValues?.[':seen_owner'], { S: 'dead' });
  t.is(update?.ReturnValues, 'ALL_NEW');

  // an absent item is created only if it is still absent
  mock.on(GetItemCommand).resolves({});
  await store.acquireShard('app', 's', shardId(0), { clientId: 'a', aliveSince: at(0), shardStart: '7', now: at(0) });
  const create = mock.commandCalls(UpdateItemCommand)[1]?.args[0].input;
  t.is(create?.ConditionExpression, 'attribute_not_exists(pk)');
  t.is(create?.UpdateExpression, 'SET #owner = :me, #last_update = :now, #shard_start = :start');
});

test('with a seenFree hint, acquireShard takes a free shard in one conditional write, and reads the item only when that fails', async (t) => {
  const { mock, store } = setup();
  const key = { pk: { S: 'check_point#app#s' }, sk: { S: shardId(0) } };
  mock.on(UpdateItemCommand).resolves({ Attributes: { ...key, owner: { S: 'a' }, last_update: { S: at(0).toISOString() } } });
  const request = { clientId: 'a', aliveSince: at(0), shardStart: undefined, now: at(0), seenFree: true };
  t.deepEqual(await store.acquireShard('app', 's', shardId(0), request), { shardId: shardId(0), owner: 'a', finished: false, lastUpdate: at(0) });
  t.is(mock.commandCalls(GetItemCommand).length, 0);
  const update = mock.commandCalls(UpdateItemCommand)[0]?.args[0].input;
  t.is(update?.ConditionExpression, 'attribute_not_exists(#owner) AND (attribute_not_exists(#finished) OR #finished = :false)');

  // the hint was out of date: a live client holds it; the item and the owner's heartbeat are read, nothing is taken
  mock.reset();
  mock.on(UpdateItemCommand).rejects(conditionFailed());
  mock.on(GetItemCommand, { Key: key }).resolves({ Item: { ...key, owner: { S: 'b' } } });
  mock.on(GetItemCommand, { Key: { pk: { S: 'client#app' }, sk: { S: 'b' } } }).resolves({ Item: { pk: { S: 'client#app' }, sk: { S: 'b' }, last_update: { S: at(5).toISOString() } } });
  t.is(await store.acquireShard('app', 's', shardId(0), request), undefined);
  t.is(mock.commandCalls(UpdateItemCommand).length, 1, 'no second write once the owner was found alive');
  t.is(mock.commandCalls(GetItemCommand).length, 2);
});
