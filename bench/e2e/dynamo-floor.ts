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

/** Makes the join's DynamoDB requests for a group `app` over the given shards. */
export async function joinRequests(endpoint: string, table: string, app: string, stream: string, shardIds: readonly string[]): Promise<void> {
  const db = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const now = () => new Date().toISOString();
  const S = (s: string) => ({ S: s });
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
  await db.send(new QueryCommand({ TableName: table, IndexName: 'index-client-key-last-update', KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': S(`client#${app}`) }, ConsistentRead: true }));
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
