/**
 * The checkpoint items the DynamoDB store leaves after a release or a close, on dynalite, read
 * back raw and judged by kinesumer (Go)'s rules (spec/helpers/kinesumer-rules.ts): every item
 * kinesumer finds must give it a position it can resume AFTER without losing a record. And items
 * of older rx-kinesumer versions are read as before.
 */
import anyTest, { type TestFn } from 'ava';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { lastValueFrom, from, type ObservableInput } from 'rxjs';
import { createStateTable } from '../../../src/state-store/dynamodb/create-table.js';
import { DynamoDBStateStore } from '../../../src/state-store/dynamodb/dynamodb-state-store.js';
import type { ShardCommit } from '../../../src/state-store/state-store.js';
import { localAws, startDynalite, type Emulator } from '../../helpers/emulators.js';
import { kinesumerStartOf, rawCheckpointItem, skippedByKinesumer, type ShardRecord } from '../../helpers/kinesumer-rules.js';

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

const run = <T>(input: ObservableInput<T>): Promise<T> => lastValueFrom(from(input));
const SHARD = 'shardId-000000000000';
/** The shard's starting sequence number and its records' (as kinesis-local numbers them). */
const START = '49680748436089661489624452230362321052984200202989600770';
const seq = (n: number) => (BigInt(START) + BigInt(n) * 1208925819614629174706176n).toString();
const now = new Date(Date.UTC(2024, 2, 1));
let apps = 0;

/** A store, an app of its own, and a shard taken by client `a`. */
async function held(t: { context: { client: DynamoDBClient } }): Promise<{ store: DynamoDBStateStore; app: string }> {
  const store = new DynamoDBStateStore({ table: TABLE, client: t.context.client });
  const app = `app-${++apps}`;
  await run(store.pingClient(app, 'a', now));
  const taken = await run(store.acquireShard(app, 's', SHARD, { clientId: 'a', aliveSince: new Date(now.getTime() - 1), shardStart: START, now }));
  if (taken === undefined) throw new Error('not taken');
  return { store, app };
}

function commit(store: DynamoDBStateStore, app: string, fields: Partial<ShardCommit>): Promise<boolean> {
  return run(store.commitShard(app, 's', SHARD, { clientId: 'a', sequenceNumber: undefined, previous: undefined, finished: false, now, ...fields }));
}

/** What kinesumer finds for the shard now, and what of `records` it would lose with `processed` done. */
async function kinesumerView(t: { context: { client: DynamoDBClient } }, app: string, records: ShardRecord[], processed?: { sequenceNumber: string; subSequenceNumber?: number }) {
  const item = await rawCheckpointItem(t.context.client, TABLE, app, 's', SHARD);
  const start = kinesumerStartOf(item);
  return { item, start, skipped: skippedByKinesumer(start, records, processed) };
}

test('an idle shard released: the item holds the shard start as sequence_number, and kinesumer reads every record written since', async (t) => {
  const { store, app } = await held(t);
  await run(store.releaseShard(app, 's', SHARD, 'a'));
  // records written after the release, before kinesumer starts
  const view = await kinesumerView(t, app, [{ sequenceNumber: seq(1), users: 1 }, { sequenceNumber: seq(2), users: 1 }]);
  t.deepEqual(view.start, { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: START });
  t.deepEqual(view.skipped, []);
  t.is(view.item?.['owner'], undefined);
  t.deepEqual(view.item?.['shard_start'], { S: START });
});

test('closed inside an aggregate: sequence_number is the record before it, the position is in attributes of our own, and kinesumer reads the aggregate again', async (t) => {
  const { store, app } = await held(t);
  // records 1 and 2 plain, 3 an aggregate of 10 user records processed up to 4
  t.true(await commit(store, app, { sequenceNumber: seq(2) }));
  t.true(await commit(store, app, { sequenceNumber: seq(3), subSequenceNumber: 4, precedingSequenceNumber: seq(2), previous: seq(2) }));
  await run(store.releaseShard(app, 's', SHARD, 'a'));
  const records = [{ sequenceNumber: seq(1), users: 1 }, { sequenceNumber: seq(2), users: 1 }, { sequenceNumber: seq(3), users: 10 }, { sequenceNumber: seq(4), users: 1 }];
  const view = await kinesumerView(t, app, records, { sequenceNumber: seq(3), subSequenceNumber: 4 });
  t.deepEqual(view.start, { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: seq(2) });
  t.deepEqual(view.skipped, []);
  t.like(view.item, { aggregate_sequence_number: { S: seq(3) }, sub_sequence_number: { N: '4' } });
  // rx-kinesumer resumes inside the aggregate from the same item
  await run(store.pingClient(app, 'b', now));
  const taken = await run(store.acquireShard(app, 's', SHARD, { clientId: 'b', aliveSince: new Date(now.getTime() - 1), shardStart: START, now }));
  t.like(taken, { sequenceNumber: seq(3), subSequenceNumber: 4, precedingSequenceNumber: seq(2) });
});

test('closed inside the shard\'s first record, an aggregate: sequence_number is the shard start', async (t) => {
  const { store, app } = await held(t);
  t.true(await commit(store, app, { sequenceNumber: seq(1), subSequenceNumber: 2, precedingSequenceNumber: START }));
  await run(store.releaseShard(app, 's', SHARD, 'a'));
  const view = await kinesumerView(t, app, [{ sequenceNumber: seq(1), users: 10 }], { sequenceNumber: seq(1), subSequenceNumber: 2 });
  t.deepEqual(view.start, { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: START });
  t.deepEqual(view.skipped, []);
});

test('a finished shard with no record read keeps finished, and kinesumer gets a sequence number it can call with (nothing is left to read)', async (t) => {
  const { store, app } = await held(t);
  t.true(await commit(store, app, { finished: true }));
  await run(store.releaseShard(app, 's', SHARD, 'a'));
  const view = await kinesumerView(t, app, []);
  t.deepEqual(view.start, { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: START });
  t.like(view.item, { finished: { BOOL: true } });
  // and a finished shard that had records keeps its last one
  const other = await held(t);
  t.true(await commit(other.store, other.app, { sequenceNumber: seq(5), finished: true }));
  await run(other.store.releaseShard(other.app, 's', SHARD, 'a'));
  t.deepEqual((await kinesumerView(t, other.app, [])).start, { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: seq(5) });
});

test('an item of an older version (sub_sequence_number next to the aggregate\'s own sequence_number) is read as before, and written the new way at the next commit', async (t) => {
  const app = `app-${++apps}`;
  await t.context.client.send(
    new PutItemCommand({
      TableName: TABLE,
      Item: {
        pk: { S: `check_point#${app}#s` },
        sk: { S: SHARD },
        sequence_number: { S: seq(3) },
        sub_sequence_number: { N: '4' },
        last_update: { S: '2024-03-01T00:00:00.000Z' },
        shard_start: { S: START },
      },
    }),
  );
  const store = new DynamoDBStateStore({ table: TABLE, client: t.context.client });
  await run(store.pingClient(app, 'a', now));
  const taken = await run(store.acquireShard(app, 's', SHARD, { clientId: 'a', aliveSince: new Date(now.getTime() - 1), shardStart: START, now }));
  t.deepEqual(taken, { shardId: SHARD, sequenceNumber: seq(3), subSequenceNumber: 4, owner: 'a', finished: false, shardStart: START, lastUpdate: now });
  // the fence is the aggregate's sequence number, as it was
  t.true(await commit(store, app, { sequenceNumber: seq(3), subSequenceNumber: 6, precedingSequenceNumber: START, previous: seq(3) }));
  const view = await kinesumerView(t, app, [{ sequenceNumber: seq(3), users: 10 }], { sequenceNumber: seq(3), subSequenceNumber: 6 });
  t.deepEqual(view.start, { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: START });
  t.deepEqual(view.skipped, []);
});
