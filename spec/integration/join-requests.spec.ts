/**
 * What a client's join costs in DynamoDB requests, on dynalite: a lone client on a fresh table
 * with an 8-shard stream, counted at the HTTP handler of the application's own DynamoDB client
 * (which the store adopts), by operation, from the first request to the last take. The end-to-end
 * benchmark's `raw loop + join requests` side (bench/e2e/dynamo-floor.ts) makes the same requests,
 * so this test fails when the join changes and the mirror does not follow.
 */
import anyTest, { type TestFn } from 'ava';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { firstValueFrom, filter } from 'rxjs';
import { createKinesumer } from '../../src/index.js';
import { createStream, localKinesisClient, uniqueName } from '../helpers/aws-fixtures.js';
import { localAws } from '../helpers/emulators.js';
import { withEmulators, type EmulatorContext } from '../helpers/with-emulators.js';

const test = anyTest as TestFn<EmulatorContext>;
const TABLE = 'join-requests';
withEmulators(test, TABLE);

/** A request handler that counts requests by DynamoDB operation (the X-Amz-Target header). */
class CountingHandler extends NodeHttpHandler {
  readonly counts: Record<string, number> = {};
  override handle(...args: Parameters<NodeHttpHandler['handle']>): ReturnType<NodeHttpHandler['handle']> {
    const target = String(args[0].headers['x-amz-target'] ?? '').split('.').pop() ?? '?';
    this.counts[target] = (this.counts[target] ?? 0) + 1;
    return super.handle(...args);
  }
}

test('a lone client joins a fresh table on 8 shards with 15 DynamoDB requests, those of dynamo-floor.ts', async (t) => {
  const stream = uniqueName('join');
  await createStream(localKinesisClient(t.context.kinesis.endpoint), stream, 8);
  const handler = new CountingHandler();
  const client = new DynamoDBClient({ endpoint: t.context.dynamo.endpoint, ...localAws, requestHandler: handler as NodeHttpHandler });
  const consumer = createKinesumer({
    app: uniqueName('app'),
    clientId: 'client-1',
    kinesis: { endpoint: t.context.kinesis.endpoint, ...localAws, http1: true },
    stateStore: { table: TABLE, client },
  });
  const all = firstValueFrom(consumer.owned$.pipe(filter((owned) => (owned[stream]?.length ?? 0) === 8)));
  const sub = consumer.consume([stream]).subscribe();
  await all;
  const counts = { ...handler.counts };
  sub.unsubscribe();
  await consumer.close();
  // DescribeTable; rejoin; the index listing; the cache Query, the states Query and the prune
  // Query; the cache write; 8 takes
  t.deepEqual(counts, { DescribeTable: 1, UpdateItem: 10, Query: 4 }, JSON.stringify(counts));
  t.is(Object.values(counts).reduce((a, b) => a + b, 0), 15);
});
