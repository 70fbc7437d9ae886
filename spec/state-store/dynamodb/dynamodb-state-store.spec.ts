/**
 * DynamoDBStateStore against dynalite (a real DynamoDB emulator, started on a free port for this
 * file and stopped even when a test fails): the shared contract, kinesumer's exact item layout in
 * both directions, malformed items, and table checks.
 */
import anyTest, { type TestFn } from 'ava';
import {
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { MalformedItemError, StateStoreError, TableNotFoundError, type KinesumerError } from '../../../src/errors.js';
import { createStateTable, stateTableDefinition } from '../../../src/state-store/dynamodb/create-table.js';
import { DynamoDBStateStore, type DynamoDBStateStoreConfig } from '../../../src/state-store/dynamodb/dynamodb-state-store.js';
import { localAws, startDynalite, type Emulator } from '../../helpers/emulators.js';
import { acquire, at, checkpoint, commit, seq, shardId, shardStart, stateStoreContract, uniqueApp } from '../contract.js';
import { heartbeatContract } from '../heartbeat-contract.js';
import { seekContract } from '../seek-contract.js';
import { shardCacheContract } from '../shard-cache-contract.js';

const test = anyTest as TestFn<{ dynalite: Emulator; client: DynamoDBClient }>;
const TABLE = 'kinesumer-state-store';

test.before(async (t) => {
  const dynalite = await startDynalite();
  const client = new DynamoDBClient({ ...localAws, endpoint: dynalite.endpoint });
  t.context = { dynalite, client };
  await createStateTable(client, TABLE);
});

test.after.always(async (t) => {
  t.context.client?.destroy();
  await t.context.dynalite?.stop();
});

/** A store on the shared table; a small query page size makes every Query paginate. */
function storeOf(t: { context: { client: DynamoDBClient } }, config: Partial<DynamoDBStateStoreConfig> = {}): DynamoDBStateStore {
  return new DynamoDBStateStore({ table: TABLE, client: t.context.client, queryPageSize: 7, ...config });
}

/** Records the errors a store reports. */
function collectErrors(store: DynamoDBStateStore): KinesumerError[] {
  const errors: KinesumerError[] = [];
  store.errors$.subscribe((e) => errors.push(e));
  return errors;
}

/** Counts the commands a fresh client sends, by name. */
function countingClient(t: { context: { dynalite: Emulator } }): { client: DynamoDBClient; calls: string[] } {
  const calls: string[] = [];
  const client = new DynamoDBClient({ ...localAws, endpoint: t.context.dynalite.endpoint });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      calls.push(context.commandName ?? '?');
      return next(args);
    },
    { step: 'initialize', name: 'countCommands' },
  );
  return { client, calls };
}

async function putRaw(client: DynamoDBClient, Item: Record<string, AttributeValue>): Promise<void> {
  await client.send(new PutItemCommand({ TableName: TABLE, Item }));
}

async function getRaw(client: DynamoDBClient, pk: string, sk: string): Promise<Record<string, AttributeValue> | undefined> {
  return (await client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: pk }, sk: { S: sk } }, ConsistentRead: true })))
    .Item;
}

stateStoreContract(test, 'dynamodb', (t) => storeOf(t));
heartbeatContract(test, 'dynamodb', (t) => storeOf(t));
seekContract(test, 'dynamodb', (t) => storeOf(t));
shardCacheContract(test, 'dynamodb', (t) => storeOf(t));

// ---------------------------------------------------------------------------------------------
// kinesumer's layout, read

test('fixture: checkpoints written by kinesumer (Go) are read, whatever the time format', async (t) => {
  const store = storeOf(t);
  const errors = collectErrors(store);
  const app = uniqueApp('goapp');
  const pk = `check_point#${app}#stream1`;
  // given items exactly as kinesumer's guregu/dynamo writes them (RFC3339Nano, local offset possible)
  await putRaw(t.context.client, {
    pk: { S: pk },
    sk: { S: 'shardId-000000000000' },
    sequence_number: { S: '49590338271490256608559692538361571095921575989136588898' },
    last_update: { S: '2022-01-21T10:00:00.123456789Z' },
  });
  await putRaw(t.context.client, {
    pk: { S: pk },
    sk: { S: 'shardId-000000000001' },
    sequence_number: { S: '49590338271512557353758223161503106814194224209732599826' },
    last_update: { S: '2022-01-21T10:00:00Z' },
  });
  await putRaw(t.context.client, {
    pk: { S: pk },
    sk: { S: 'shardId-000000000002' },
    sequence_number: { S: '1' },
    last_update: { S: '2022-01-21T19:00:00.5+09:00' },
  });
  // when / then
  const expected = [
    {
      shardId: 'shardId-000000000000',
      sequenceNumber: '49590338271490256608559692538361571095921575989136588898',
      lastUpdate: new Date('2022-01-21T10:00:00.123Z'),
    },
    {
      shardId: 'shardId-000000000001',
      sequenceNumber: '49590338271512557353758223161503106814194224209732599826',
      lastUpdate: new Date('2022-01-21T10:00:00.000Z'),
    },
    { shardId: 'shardId-000000000002', sequenceNumber: '1', lastUpdate: new Date('2022-01-21T10:00:00.500Z') },
  ];
  t.deepEqual(await store.getCheckpoints(app, 'stream1'), expected);
  t.deepEqual(await store.getCheckpoints(app, 'stream1', ['shardId-000000000001', 'shardId-000000000000']), [
    expected[1],
    expected[0],
  ]);
  t.deepEqual(errors, []);
});

test('fixture: a shard cache written by kinesumer is read; the deprecated shard_ids alone also works', async (t) => {
  const store = storeOf(t);
  const errors = collectErrors(store);
  const app = uniqueApp('goapp');
  // given
  await putRaw(t.context.client, {
    pk: { S: `shard_cache#${app}` },
    sk: { S: 'stream1' },
    shards: {
      L: [
        { M: { ID: { S: 'shardId-000000000000' }, Closed: { BOOL: true } } },
        { M: { ID: { S: 'shardId-000000000001' }, Closed: { BOOL: false } } },
      ],
    },
    shard_ids: { L: [{ S: 'shardId-000000000000' }, { S: 'shardId-000000000001' }] },
  });
  await putRaw(t.context.client, {
    pk: { S: `shard_cache#${app}` },
    sk: { S: 'old-stream' },
    shard_ids: { L: [{ S: 'shardId-000000000003' }, { S: 'shardId-000000000004' }] },
  });
  await putRaw(t.context.client, {
    pk: { S: `shard_cache#${app}` },
    sk: { S: 'older-stream' },
    shard_ids: { SS: ['shardId-000000000005'] },
  });
  // then
  t.deepEqual(await store.getShards(app, 'stream1'), [
    { id: 'shardId-000000000000', closed: true },
    { id: 'shardId-000000000001', closed: false },
  ]);
  t.deepEqual(await store.getShards(app, 'old-stream'), [
    { id: 'shardId-000000000003', closed: false },
    { id: 'shardId-000000000004', closed: false },
  ]);
  t.deepEqual(await store.getShards(app, 'older-stream'), [{ id: 'shardId-000000000005', closed: false }]);
  t.deepEqual(errors, []);
});

test('fixture: Go client items are listed and pruned by their real time, not by string order', async (t) => {
  const store = storeOf(t);
  const errors = collectErrors(store);
  const app = uniqueApp('goapp');
  const clients: Record<string, string> = {
    'no-fraction': '2022-01-21T10:00:00Z', // 10:00:00.000 (sorts after ".5Z" as a string)
    'half': '2022-01-21T10:00:00.5Z', // 10:00:00.500
    'nano': '2022-01-21T10:00:00.700000001Z', // 10:00:00.700
    'seoul-early': '2022-01-21T18:59:00+09:00', // 09:59:00 (sorts after every "10:" string)
    'seoul-late': '2022-01-21T19:00:00.999999999+09:00', // 10:00:00.999
    'new-york': '2022-01-21T04:59:59-05:00', // 09:59:59
    'later': '2022-01-21T10:00:01Z',
  };
  for (const [id, lastUpdate] of Object.entries(clients)) {
    await putRaw(t.context.client, { pk: { S: `client#${app}` }, sk: { S: id }, last_update: { S: lastUpdate } });
  }
  const cutoff = new Date('2022-01-21T10:00:00.600Z');
  // then
  t.deepEqual(await store.listAliveClients(app, cutoff), ['later', 'nano', 'seoul-late']);
  t.deepEqual(await store.pruneClients(app, cutoff), ['half', 'new-york', 'no-fraction', 'seoul-early']);
  t.deepEqual(await store.listAliveClients(app, new Date(0)), ['later', 'nano', 'seoul-late']);
  t.deepEqual(errors, []);
});

// ---------------------------------------------------------------------------------------------
// kinesumer's layout, written

test('layout: a ping writes exactly pk, sk and last_update (S, ISO 8601 UTC)', async (t) => {
  const store = storeOf(t);
  const app = uniqueApp();
  await store.pingClient(app, 'client-1', new Date('2022-01-21T10:00:00.123Z'));
  t.deepEqual(await getRaw(t.context.client, `client#${app}`, 'client-1'), {
    pk: { S: `client#${app}` },
    sk: { S: 'client-1' },
    last_update: { S: '2022-01-21T10:00:00.123Z' },
  });
  await store.deregisterClient(app, 'client-1');
  t.is(await getRaw(t.context.client, `client#${app}`, 'client-1'), undefined);
});

test('layout: updateShards writes kinesumer\'s shards list (ID, Closed) plus parents and start, no nulls, keeping shard_ids', async (t) => {
  const store = storeOf(t);
  const app = uniqueApp();
  await putRaw(t.context.client, {
    pk: { S: `shard_cache#${app}` },
    sk: { S: 'stream1' },
    shard_ids: { L: [{ S: 'shardId-000000000000' }] },
  });
  await store.updateShards(app, 'stream1', [
    { id: shardId(0), closed: true },
    { id: shardId(1), closed: false, parentShardId: shardId(0) },
    {
      id: shardId(2),
      closed: false,
      parentShardId: shardId(0),
      adjacentParentShardId: shardId(1),
      startingSequenceNumber: '49590338271490256608559692538361571095921575989136588898',
    },
  ]);
  t.deepEqual(await getRaw(t.context.client, `shard_cache#${app}`, 'stream1'), {
    pk: { S: `shard_cache#${app}` },
    sk: { S: 'stream1' },
    shard_ids: { L: [{ S: 'shardId-000000000000' }] },
    shards: {
      L: [
        { M: { ID: { S: shardId(0) }, Closed: { BOOL: true } } },
        { M: { ID: { S: shardId(1) }, Closed: { BOOL: false }, ParentShardId: { S: shardId(0) } } },
        {
          M: {
            ID: { S: shardId(2) },
            Closed: { BOOL: false },
            ParentShardId: { S: shardId(0) },
            AdjacentParentShardId: { S: shardId(1) },
            StartingSequenceNumber: { S: '49590338271490256608559692538361571095921575989136588898' },
          },
        },
      ],
    },
  });
});

test('layout: a checkpoint is written as pk, sk, sequence_number (S) and last_update (S)', async (t) => {
  const store = storeOf(t);
  const app = uniqueApp();
  await store.updateCheckpoints(app, 'stream1', [
    { shardId: 'shardId-000000000007', sequenceNumber: '49590338271490256608559692538361571095921575989136588898', lastUpdate: new Date('2022-01-21T10:00:00.000Z') },
  ]);
  t.deepEqual(await getRaw(t.context.client, `check_point#${app}#stream1`, 'shardId-000000000007'), {
    pk: { S: `check_point#${app}#stream1` },
    sk: { S: 'shardId-000000000007' },
    sequence_number: { S: '49590338271490256608559692538361571095921575989136588898' },
    last_update: { S: '2022-01-21T10:00:00.000Z' },
  });
});

test('layout: the shard state is in the checkpoint item: owner (S), shard_start (S), finished (BOOL)', async (t) => {
  const store = storeOf(t);
  const app = uniqueApp();
  const pk = `check_point#${app}#stream1`;
  const sk = 'shardId-000000000007';
  const start = '49590338271490256608559692538361571095921575989136588898';
  await store.acquireShard(app, 'stream1', sk, { clientId: 'client-1', aliveSince: new Date(0), shardStart: start, now: new Date('2022-01-21T10:00:00.000Z') });
  t.deepEqual(await getRaw(t.context.client, pk, sk), {
    pk: { S: pk },
    sk: { S: sk },
    owner: { S: 'client-1' },
    shard_start: { S: start },
    last_update: { S: '2022-01-21T10:00:00.000Z' },
  });
  const committed = await store.commitShard(app, 'stream1', sk, {
    clientId: 'client-1',
    sequenceNumber: '49590338271490256608559692538361571095921575989136589999',
    previous: undefined,
    finished: true,
    now: new Date('2022-01-21T10:00:05.5Z'),
  });
  t.true(committed);
  t.deepEqual(await getRaw(t.context.client, pk, sk), {
    pk: { S: pk },
    sk: { S: sk },
    owner: { S: 'client-1' },
    shard_start: { S: start },
    sequence_number: { S: '49590338271490256608559692538361571095921575989136589999' },
    last_update: { S: '2022-01-21T10:00:05.500Z' },
    finished: { BOOL: true },
  });
  await store.releaseShard(app, 'stream1', sk, 'client-1');
  t.is((await getRaw(t.context.client, pk, sk))?.['owner'], undefined);
  t.deepEqual((await getRaw(t.context.client, pk, sk))?.['finished'], { BOOL: true });
  await store.deleteShardStates(app, 'stream1', [sk]);
  t.is(await getRaw(t.context.client, pk, sk), undefined);
});

test('fixture: kinesumer checkpoints are shard states with no owner; taking one keeps the checkpoint', async (t) => {
  const store = storeOf(t);
  const errors = collectErrors(store);
  const app = uniqueApp('goapp');
  const pk = `check_point#${app}#s`;
  await putRaw(t.context.client, {
    pk: { S: pk },
    sk: { S: shardId(0) },
    sequence_number: { S: seq(3) },
    last_update: { S: '2022-01-21T19:00:00.5+09:00' },
  });
  t.deepEqual(await store.listShardStates(app, 's'), [
    { shardId: shardId(0), sequenceNumber: seq(3), finished: false, lastUpdate: new Date('2022-01-21T10:00:00.500Z') },
  ]);
  t.is((await acquire(store, app, 0, 'node-1', { now: at(1) }))?.sequenceNumber, seq(3));
  t.true(await commit(store, app, 0, 'node-1', { sequenceNumber: seq(4), previous: seq(3), now: at(2) }));
  // kinesumer reads its two attributes as before
  const raw = await getRaw(t.context.client, pk, shardId(0));
  t.deepEqual(raw?.['sequence_number'], { S: seq(4) });
  t.deepEqual(raw?.['last_update'], { S: at(2).toISOString() });
  t.deepEqual(errors, []);
});

test('fixture: getCheckpoints ignores items with an owner and no sequence_number, without reporting them', async (t) => {
  const store = storeOf(t);
  const errors = collectErrors(store);
  const app = uniqueApp();
  const pk = `check_point#${app}#s`;
  await putRaw(t.context.client, { pk: { S: pk }, sk: { S: shardId(0) }, sequence_number: { S: seq(1) }, last_update: { S: '2022-01-21T10:00:00Z' } });
  await putRaw(t.context.client, { pk: { S: pk }, sk: { S: shardId(1) }, owner: { S: 'a' }, last_update: { S: '2022-01-21T10:00:00Z' } });
  await putRaw(t.context.client, { pk: { S: pk }, sk: { S: shardId(2) }, owner: { S: 'a' }, shard_start: { S: '1' }, finished: { BOOL: true } });
  const expected = [{ shardId: shardId(0), sequenceNumber: seq(1), lastUpdate: new Date('2022-01-21T10:00:00Z') }];
  t.deepEqual(await store.getCheckpoints(app, 's'), expected);
  t.deepEqual(await store.getCheckpoints(app, 's', [shardId(2), shardId(1), shardId(0)]), expected);
  t.deepEqual(errors, []);
  t.is((await store.listShardStates(app, 's')).length, 3);
});

test('layout: acquiring a free shard is one GetItem and one conditional UpdateItem; a held one also reads the owner\'s heartbeat; deleteShardStates batches 25', async (t) => {
  const { client, calls } = countingClient(t);
  t.teardown(() => client.destroy());
  const store = new DynamoDBStateStore({ table: TABLE, client });
  const app = uniqueApp();
  await acquire(store, app, 0, 'a', { alive: [] });
  t.deepEqual(calls.splice(0), ['GetItemCommand', 'UpdateItemCommand']);
  await store.pingClient(app, 'a', at(1));
  calls.splice(0);
  t.is(await acquire(store, app, 0, 'b', { alive: [], now: at(1) }), undefined);
  t.deepEqual(calls.splice(0), ['GetItemCommand', 'GetItemCommand'], 'a shard held by a live client is not written');
  await store.deleteShardStates(app, 's', Array.from({ length: 60 }, (_, i) => shardId(i)));
  t.deepEqual(calls.splice(0), ['BatchWriteItemCommand', 'BatchWriteItemCommand', 'BatchWriteItemCommand']);
});

test('race: two clients that both read the shard as free both write, and the condition lets one through', async (t) => {
  const { client, calls } = countingClient(t);
  t.teardown(() => client.destroy());
  const store = new DynamoDBStateStore({ table: TABLE, client });
  const app = uniqueApp();
  let decidedByCondition = 0;
  for (let shard = 0; shard < 10; shard++) {
    calls.splice(0);
    const alive: string[] = []; // the shard is free: no heartbeat needs looking up
    const results = await Promise.all([
      acquire(store, app, shard, 'a', { alive }),
      acquire(store, app, shard, 'b', { alive }),
    ]);
    t.is(results.filter((r) => r !== undefined).length, 1);
    if (calls.filter((c) => c === 'UpdateItemCommand').length === 2) decidedByCondition += 1;
  }
  t.true(decidedByCondition > 0, 'some race reached the conditional write on both sides');
});

test('layout: checkpoints go out 25 per BatchWriteItem and 100 keys per BatchGetItem, never one call per shard', async (t) => {
  const { client, calls } = countingClient(t);
  t.teardown(() => client.destroy());
  const store = new DynamoDBStateStore({ table: TABLE, client });
  const app = uniqueApp();
  const cps = Array.from({ length: 60 }, (_, i) => checkpoint(i, i, at(i)));
  // when
  await store.updateCheckpoints(app, 's', cps);
  t.deepEqual(calls.splice(0), ['BatchWriteItemCommand', 'BatchWriteItemCommand', 'BatchWriteItemCommand']);
  const ids = Array.from({ length: 130 }, (_, i) => shardId(i));
  t.is((await store.getCheckpoints(app, 's', ids)).length, 60);
  t.deepEqual(calls.splice(0), ['BatchGetItemCommand', 'BatchGetItemCommand']);
});

test('layout: listing 120 clients with a page size of 7 follows LastEvaluatedKey to the end', async (t) => {
  const { client, calls } = countingClient(t);
  t.teardown(() => client.destroy());
  const store = new DynamoDBStateStore({ table: TABLE, client, queryPageSize: 7 });
  const app = uniqueApp();
  const ids = Array.from({ length: 120 }, (_, i) => `client-${String(i).padStart(3, '0')}`);
  await Promise.all(ids.map((id) => store.pingClient(app, id, at(1000))));
  calls.splice(0);
  t.deepEqual(await store.listAliveClients(app, at(0)), ids);
  t.true(calls.length >= 18, `${calls.length} Query pages`);
  t.true(calls.every((c) => c === 'QueryCommand'));
});

// ---------------------------------------------------------------------------------------------
// malformed items

test('malformed: bad checkpoints are skipped and reported with their key and the path of the problem', async (t) => {
  const store = storeOf(t);
  const errors = collectErrors(store);
  const app = uniqueApp();
  const pk = `check_point#${app}#s`;
  await store.updateCheckpoints(app, 's', [checkpoint(0, 0)]);
  // no sequence_number: the state of a shard with no checkpoint yet, neither a checkpoint nor malformed
  await putRaw(t.context.client, { pk: { S: pk }, sk: { S: shardId(1) }, last_update: { S: '2022-01-21T10:00:00Z' } });
  await putRaw(t.context.client, { pk: { S: pk }, sk: { S: shardId(2) }, sequence_number: { S: '123' }, last_update: { S: 'garbage' } });
  await putRaw(t.context.client, {
    pk: { S: pk },
    sk: { S: shardId(3) },
    sequence_number: { N: '49590338271490256608' }, // beyond Number.MAX_SAFE_INTEGER
    last_update: { S: '2022-01-21T10:00:00Z' },
  });
  await putRaw(t.context.client, { pk: { S: pk }, sk: { S: shardId(4) }, sequence_number: { S: '1' }, last_update: { S: '2022-02-30T10:00:00Z' } });

  // when read all at once and by id
  t.deepEqual(await store.getCheckpoints(app, 's'), [checkpoint(0, 0)]);
  t.deepEqual(await store.getCheckpoints(app, 's', [shardId(0), shardId(1)]), [checkpoint(0, 0)]);

  // then
  t.true(errors.every((e) => e instanceof MalformedItemError));
  const messages = errors.map((e) => e.message);
  t.is(messages.length, 3, messages.join('\n'));
  t.deepEqual((errors[0] as MalformedItemError).key, { pk, sk: shardId(2) });
  t.regex(messages[0]!, /sk="shardId-000000000002".*Expecting RFC3339 date-time at CheckpointItem\.last_update but instead got: "garbage"/);
  t.regex(messages[1]!, /sk="shardId-000000000003".*CheckpointItem\.sequence_number but instead got: {"value":"49590338271490256608"}/);
  t.regex(messages[2]!, /sk="shardId-000000000004".*CheckpointItem\.last_update but instead got: "2022-02-30T10:00:00Z"/);
  t.false(messages.some((m) => m.includes(shardId(1))));
});

test('malformed: a shard state with an owner that is not a string is reported with its key and skipped', async (t) => {
  const store = storeOf(t);
  const errors = collectErrors(store);
  const app = uniqueApp();
  const pk = `check_point#${app}#s`;
  await acquire(store, app, 0, 'a', { now: at(1) });
  await putRaw(t.context.client, {
    pk: { S: pk },
    sk: { S: shardId(1) },
    sequence_number: { S: seq(1) },
    last_update: { S: '2022-01-21T10:00:00Z' },
    owner: { N: '42' },
  });
  await putRaw(t.context.client, { pk: { S: pk }, sk: { S: shardId(2) }, owner: { S: 'b' }, finished: { S: 'yes' } });

  // listShardStates skips both
  t.deepEqual(await store.listShardStates(app, 's'), [
    { shardId: shardId(0), owner: 'a', finished: false, shardStart: shardStart(0), lastUpdate: at(1) },
  ]);
  t.is(errors.length, 2);
  t.deepEqual((errors[0] as MalformedItemError).key, { pk, sk: shardId(1) });
  t.regex(errors[0]!.message, /Expecting string at ShardStateItem\.owner but instead got: {"value":"42"}/);
  t.deepEqual((errors[1] as MalformedItemError).key, { pk, sk: shardId(2) });
  t.regex(errors[1]!.message, /Expecting boolean at ShardStateItem\.finished but instead got: "yes"/);

  // acquireShard does not take a shard it cannot read, and says why
  errors.splice(0);
  t.is(await acquire(store, app, 1, 'a', { alive: ['a'] }), undefined);
  t.is(errors.length, 1);
  t.deepEqual((errors[0] as MalformedItemError).key, { pk, sk: shardId(1) });
  t.deepEqual((await getRaw(t.context.client, pk, shardId(1)))?.['owner'], { N: '42' }, 'left as it was');

  // the checkpoint of the first is still read (getCheckpoints looks at the checkpoint only)
  errors.splice(0);
  t.deepEqual(await store.getCheckpoints(app, 's'), [
    { shardId: shardId(1), sequenceNumber: seq(1), lastUpdate: new Date('2022-01-21T10:00:00Z') },
  ]);
  t.deepEqual(errors, []);
});

test('malformed: a shard cache with Closed not a bool is reported and read as no cache', async (t) => {
  const store = storeOf(t);
  const errors = collectErrors(store);
  const app = uniqueApp();
  await putRaw(t.context.client, {
    pk: { S: `shard_cache#${app}` },
    sk: { S: 'stream1' },
    shards: { L: [{ M: { ID: { S: shardId(0) }, Closed: { BOOL: false } } }, { M: { ID: { S: shardId(1) }, Closed: { S: 'false' } } }] },
  });
  t.is(await store.getShards(app, 'stream1'), undefined);
  t.is(errors.length, 1);
  t.deepEqual((errors[0] as MalformedItemError).key, { pk: `shard_cache#${app}`, sk: 'stream1' });
  t.regex(errors[0]!.message, /Expecting boolean at ShardCacheItem\.shards\.1\.Closed but instead got: "false"/);
  // and the leader's next update repairs it
  await store.updateShards(app, 'stream1', [{ id: shardId(0), closed: false }]);
  t.deepEqual(await store.getShards(app, 'stream1'), [{ id: shardId(0), closed: false }]);
});

test('malformed: a client with a garbage last_update is skipped by list and prune, and reported', async (t) => {
  const store = storeOf(t);
  const errors = collectErrors(store);
  const app = uniqueApp();
  await store.pingClient(app, 'good', at(1000));
  await putRaw(t.context.client, { pk: { S: `client#${app}` }, sk: { S: 'bad' }, last_update: { S: '0000-garbage' } });
  t.deepEqual(await store.listAliveClients(app, at(0)), ['good']);
  t.deepEqual(await store.pruneClients(app, at(5000)), ['good']);
  t.true(errors.length >= 2);
  for (const e of errors) {
    t.deepEqual((e as MalformedItemError).key, { pk: `client#${app}`, sk: 'bad' });
    t.regex(e.message, /ClientItem\.last_update but instead got: "0000-garbage"/);
  }
});

// ---------------------------------------------------------------------------------------------
// the table

test('table: a missing table fails ready() and calls with TableNotFoundError naming table and endpoint', async (t) => {
  const store = new DynamoDBStateStore({ table: 'no-such-table', ...localAws, endpoint: t.context.dynalite.endpoint });
  t.teardown(() => store.client.destroy());
  const err = await t.throwsAsync(store.ready(), { instanceOf: TableNotFoundError });
  t.is(err?.table, 'no-such-table');
  t.is(err?.location, `region us-east-1, endpoint ${t.context.dynalite.endpoint}`);
  t.regex(err?.message ?? '', /"no-such-table".*region us-east-1, endpoint http:\/\/127\.0\.0\.1:\d+/);
  t.false(err?.message.includes(localAws.credentials.secretAccessKey) ?? true);
  await t.throwsAsync(store.getCheckpoints('app', 's'), { instanceOf: TableNotFoundError });
  await t.throwsAsync(store.pingClient('app', 'a', at(0)), { instanceOf: TableNotFoundError });
});

test('table: a table with other keys fails ready() saying what is wrong', async (t) => {
  await t.context.client.send(
    new CreateTableCommand({
      TableName: 'wrong-keys',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  const err = await t.throwsAsync(new DynamoDBStateStore({ table: 'wrong-keys', client: t.context.client }).ready(), {
    instanceOf: StateStoreError,
  });
  t.false(err?.retriable);
  t.regex(err?.message ?? '', /table "wrong-keys" \(region us-east-1.*\) does not have kinesumer's state-store schema/);
  t.regex(err?.message ?? '', /the key schema is \(id HASH\), not \(pk HASH, sk RANGE\)/);
  t.regex(err?.message ?? '', /the local secondary index "index-client-key-last-update" is missing/);
});

test('table: right keys without the LSI fails ready() naming only the index', async (t) => {
  const definition = stateTableDefinition('no-index');
  delete definition.LocalSecondaryIndexes;
  definition.AttributeDefinitions = definition.AttributeDefinitions?.filter((a) => a.AttributeName !== 'last_update');
  await t.context.client.send(new CreateTableCommand(definition));
  const err = await t.throwsAsync(new DynamoDBStateStore({ table: 'no-index', client: t.context.client }).ready(), {
    instanceOf: StateStoreError,
  });
  t.false(err?.retriable);
  t.notRegex(err?.message ?? '', /key schema/);
  t.regex(err?.message ?? '', /the local secondary index "index-client-key-last-update" is missing/);
});

test('table: createStateTable twice is fine, and the table it makes passes ready()', async (t) => {
  const first = await createStateTable(t.context.client, 'twice-created', { billingMode: 'PROVISIONED' });
  const second = await createStateTable(t.context.client, 'twice-created');
  t.is(first.TableStatus, 'ACTIVE');
  t.is(second.TableStatus, 'ACTIVE');
  t.is(second.ProvisionedThroughput?.ReadCapacityUnits, 10);
  await t.notThrowsAsync(new DynamoDBStateStore({ table: 'twice-created', client: t.context.client }).ready());
});

test('table: stateTableDefinition matches kinesumer\'s schema (keys and ddb-lsi.json)', (t) => {
  const definition = stateTableDefinition('kinesumer-state-store');
  t.deepEqual(definition.KeySchema, [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ]);
  t.deepEqual(definition.LocalSecondaryIndexes, [
    {
      IndexName: 'index-client-key-last-update',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'last_update', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'KEYS_ONLY' },
    },
  ]);
  t.is(definition.BillingMode, 'PAY_PER_REQUEST');
  t.is(definition.ProvisionedThroughput, undefined);
});
