/**
 * What joining a group costs any consumer with a DynamoDB state store, without the library: the
 * join's requests as plain SDK calls on a DynamoDB client created inside the window, in the order
 * and with the concurrency of rx-kinesumer's join (items of the same layout and sizes):
 * DescribeTable; the first heartbeat, which returns the client's own earlier one (rejoin); the
 * group listing; the shard cache read (its item and pages in one Query), the shard states and the
 * prune (at once); the shard cache write (no pages were found, so none to delete); one
 * conditional take per shard (at once): 15 requests for 8 shards. The raw loop
 * runs this before it reads (DYNAMO_FLOOR=1), so that the table shows how much of the consumer's
 * start is the state store's requests, and how much is the library.
 */
import { DescribeTableCommand, DynamoDBClient, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { KinesisClient, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';

const local = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
const S = (s: string) => ({ S: s });
/** A 56-digit sequence number, as long as Kinesis's. */
const SEQUENCE = '4'.padEnd(56, '9');

/** The group listing: a consistent Query of kinesumer's keys-only index. */
const listing = (table: string, app: string) =>
  new QueryCommand({ TableName: table, IndexName: 'index-client-key-last-update', KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': S(`client#${app}`) }, ConsistentRead: true });

/** The shard states of `stream`: a consistent Query of its checkpoint items. */
const states = (table: string, app: string, stream: string) =>
  new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': S(`check_point#${app}#${stream}`) }, ConsistentRead: true });

/** The prune's look for dead clients: a range Query of the index below `bound`. */
const prune = (table: string, app: string, bound: Date) =>
  new QueryCommand({
    TableName: table,
    IndexName: 'index-client-key-last-update',
    KeyConditionExpression: 'pk = :pk AND #last_update < :bound',
    ExpressionAttributeNames: { '#last_update': 'last_update' },
    ExpressionAttributeValues: { ':pk': S(`client#${app}`), ':bound': S(bound.toISOString()) },
    ConsistentRead: true,
  });

/** Makes the join's DynamoDB requests for a group `app` over the given shards. */
export async function joinRequests(endpoint: string, table: string, app: string, stream: string, shardIds: readonly string[]): Promise<void> {
  const db = new DynamoDBClient({ endpoint, ...local });
  const now = () => new Date().toISOString();
  await db.send(new DescribeTableCommand({ TableName: table }));
  // the first heartbeat: it keeps and returns the marks an earlier run under the same id left in its heartbeat
  await db.send(
    new UpdateItemCommand({
      TableName: table,
      Key: { pk: S(`client#${app}`), sk: S('client-1') },
      UpdateExpression: 'SET #last_update = :last_update REMOVE #digests, #stats',
      ExpressionAttributeNames: { '#last_update': 'last_update', '#digests': 'digests', '#stats': 'stats' },
      ExpressionAttributeValues: { ':last_update': S(now()) },
      ReturnValues: 'ALL_OLD',
    }),
  );
  // the group listing: kinesumer's keys-only index (a leader alone reads no digests back)
  await db.send(listing(table, app));
  await Promise.all([
    // the shard cache: kinesumer's item and any pages, in one Query
    db.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :first AND :last',
        ExpressionAttributeValues: { ':pk': S(`shard_cache#${app}`), ':first': S(stream), ':last': S(`${stream}#\uffff`) },
        ConsistentRead: true,
      }),
    ),
    db.send(states(table, app, stream)),
    db.send(prune(table, app, new Date(Date.now() - 10_000 + 14 * 3_600_000))),
  ]);
  await db.send(
    new UpdateItemCommand({
      TableName: table,
      Key: { pk: S(`shard_cache#${app}`), sk: S(stream) },
      UpdateExpression: 'SET #shards = :shards',
      ExpressionAttributeNames: { '#shards': 'shards' },
      ExpressionAttributeValues: { ':shards': { L: shardIds.map((id) => ({ M: { ID: S(id), Closed: { BOOL: false }, StartingSequenceNumber: S(SEQUENCE) } })) } },
    }),
  );
  await Promise.all(
    shardIds.map((id) =>
      db.send(
        new UpdateItemCommand({
          TableName: table,
          Key: { pk: S(`check_point#${app}#${stream}`), sk: S(id) },
          UpdateExpression: 'SET #owner = :owner, #last_update = :last_update, #shard_start = :shard_start',
          ConditionExpression: 'attribute_not_exists(#owner) AND (attribute_not_exists(#finished) OR #finished = :no)',
          ExpressionAttributeNames: { '#owner': 'owner', '#last_update': 'last_update', '#shard_start': 'shard_start', '#finished': 'finished' },
          ExpressionAttributeValues: { ':owner': S('client-1'), ':last_update': S(now()), ':shard_start': S(SEQUENCE), ':no': { BOOL: false } },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    ),
  );
  db.destroy();
}

/**
 * What staying in the group costs any consumer with this state store at steady state, without
 * the library: the requests rx-kinesumer makes as a lone leader, as plain SDK calls. Every
 * `syncInterval`: the heartbeat (carrying a mark per shard), the group listing, ListShards and
 * the shard states; every 6 intervals the prune; every `itemInterval` one checkpoint write per
 * shard. Returns a function that stops them.
 */
export function groupRequests(endpoint: string, kinesisEndpoint: string, table: string, app: string, stream: string, shardIds: readonly string[], syncInterval = 5000, itemInterval = 60_000): () => void {
  const db = new DynamoDBClient({ endpoint, ...local });
  const kinesis = new KinesisClient({ endpoint: kinesisEndpoint, ...local, requestHandler: new NodeHttpHandler() });
  const mark = SEQUENCE;
  let rounds = 0;
  const round = async () => {
    await db.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { pk: S(`client#${app}`), sk: S('client-1') },
        UpdateExpression: 'SET #last_update = :last_update, #checkpoints = :checkpoints, #stats = :stats',
        ExpressionAttributeNames: { '#last_update': 'last_update', '#checkpoints': 'checkpoints', '#stats': 'stats' },
        ExpressionAttributeValues: {
          ':last_update': S(new Date().toISOString()),
          ':checkpoints': { M: { [stream]: { M: Object.fromEntries(shardIds.map((id) => [id, S(mark)])) } } },
          ':stats': { M: { [stream]: { M: Object.fromEntries(shardIds.map((id) => [id, S('r l0 a12 f0')])) } } },
        },
      }),
    );
    await db.send(listing(table, app));
    await Promise.all([
      kinesis.send(new ListShardsCommand({ StreamName: stream })),
      db.send(states(table, app, stream)),
      rounds % 6 === 0 ? db.send(prune(table, app, new Date(Date.now() - 10_000 + 14 * 3_600_000))) : undefined,
    ]);
    rounds += 1;
  };
  const items = async () => {
    await Promise.all(
      shardIds.map((id) =>
        db.send(
          new UpdateItemCommand({
            TableName: table,
            Key: { pk: S(`check_point#${app}#${stream}`), sk: S(id) },
            UpdateExpression: 'SET #seq = :seq, #last_update = :last_update',
            ConditionExpression: 'attribute_not_exists(#owner) OR #owner = :owner',
            ExpressionAttributeNames: { '#seq': 'sequence_number', '#last_update': 'last_update', '#owner': 'owner' },
            ExpressionAttributeValues: { ':seq': S(mark), ':last_update': S(new Date().toISOString()), ':owner': S('client-1') },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      ),
    );
  };
  void round();
  const timers = [setInterval(() => void round(), syncInterval), setInterval(() => void items(), itemInterval)];
  return () => {
    timers.forEach(clearInterval);
    db.destroy();
    kinesis.destroy();
  };
}
