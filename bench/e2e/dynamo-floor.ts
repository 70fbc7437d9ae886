/**
 * What joining a group costs any consumer with a DynamoDB state store, without the library: the
 * join's requests as plain SDK calls on a DynamoDB client created inside the window, in the order
 * and with the concurrency of rx-kinesumer's join (items of the same layout and sizes):
 * DescribeTable; the client's own earlier heartbeat; the heartbeat; the group listing; the shard
 * cache read (and its pages), the shard states and the prune (at once); the shard cache write and
 * the delete of pages it no longer needs; one conditional take per shard (at once). The raw loop
 * runs this before it reads (DYNAMO_FLOOR=1), so that the table shows how much of the consumer's
 * start is the state store's requests, and how much is the library.
 */
import { DeleteItemCommand, DescribeTableCommand, DynamoDBClient, GetItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';

/** Makes the join's DynamoDB requests for a group `app` over the given shards. */
export async function joinRequests(endpoint: string, table: string, app: string, stream: string, shardIds: readonly string[]): Promise<void> {
  const db = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const now = () => new Date().toISOString();
  const S = (s: string) => ({ S: s });
  await db.send(new DescribeTableCommand({ TableName: table }));
  // the marks an earlier run under the same id left in its heartbeat
  await db.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': S(`client#${app}`) }, ConsistentRead: true }));
  await db.send(
    new UpdateItemCommand({
      TableName: table,
      Key: { pk: S(`client#${app}`), sk: S('client-1') },
      UpdateExpression: 'SET #last_update = :last_update REMOVE #checkpoints, #digests',
      ExpressionAttributeNames: { '#last_update': 'last_update', '#checkpoints': 'checkpoints', '#digests': 'digests' },
      ExpressionAttributeValues: { ':last_update': S(now()) },
    }),
  );
  // the group listing: kinesumer's keys-only index (a leader alone reads no digests back)
  await db.send(new QueryCommand({ TableName: table, IndexName: 'index-client-key-last-update', KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': S(`client#${app}`) }, ConsistentRead: true }));
  await Promise.all([
    // no shard cache item yet: its pages are looked for too
    db.send(new GetItemCommand({ TableName: table, Key: { pk: S(`shard_cache#${app}`), sk: S(stream) }, ConsistentRead: true })).then(() =>
      db.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)', ExpressionAttributeValues: { ':pk': S(`shard_cache#${app}`), ':prefix': S(`${stream}#`) }, ConsistentRead: true })),
    ),
    db.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': S(`check_point#${app}#${stream}`) }, ConsistentRead: true })),
    db.send(
      new QueryCommand({
        TableName: table,
        IndexName: 'index-client-key-last-update',
        KeyConditionExpression: 'pk = :pk AND #last_update < :bound',
        ExpressionAttributeNames: { '#last_update': 'last_update' },
        ExpressionAttributeValues: { ':pk': S(`client#${app}`), ':bound': S(new Date(Date.now() - 10_000 + 14 * 3_600_000).toISOString()) },
        ConsistentRead: true,
      }),
    ),
  ]);
  await db.send(
    new UpdateItemCommand({
      TableName: table,
      Key: { pk: S(`shard_cache#${app}`), sk: S(stream) },
      UpdateExpression: 'SET #shards = :shards',
      ExpressionAttributeNames: { '#shards': 'shards' },
      ExpressionAttributeValues: { ':shards': { L: shardIds.map((id) => ({ M: { ID: S(id), Closed: { BOOL: false }, StartingSequenceNumber: S('4'.padEnd(56, '9')) } })) } },
    }),
  );
  await db.send(new DeleteItemCommand({ TableName: table, Key: { pk: S(`shard_cache#${app}`), sk: S(`${stream}#0000`) }, ReturnValues: 'ALL_OLD' }));
  await Promise.all(
    shardIds.map((id) =>
      db.send(
        new UpdateItemCommand({
          TableName: table,
          Key: { pk: S(`check_point#${app}#${stream}`), sk: S(id) },
          UpdateExpression: 'SET #owner = :owner, #last_update = :last_update, #shard_start = :shard_start',
          ConditionExpression: 'attribute_not_exists(#owner) AND (attribute_not_exists(#finished) OR #finished = :no)',
          ExpressionAttributeNames: { '#owner': 'owner', '#last_update': 'last_update', '#shard_start': 'shard_start', '#finished': 'finished' },
          ExpressionAttributeValues: { ':owner': S('client-1'), ':last_update': S(now()), ':shard_start': S('4'.padEnd(56, '9')), ':no': { BOOL: false } },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    ),
  );
  db.destroy();
}
