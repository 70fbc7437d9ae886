/** The built-in dead-letter sink writes the record with its origin to another stream. */
import { KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis';
import test from 'ava';
import { mockClient } from 'aws-sdk-client-mock';
import { deadLetterToStream, type KinesumerRecord } from '../../src/index.js';

const record: KinesumerRecord = {
  stream: 'orders',
  shardId: 'shardId-000000000003',
  sequenceNumber: '49590000000000000000000000000000000000000000000000000001',
  subSequenceNumber: 2,
  partitionKey: 'customer-7',
  data: new TextEncoder().encode('{"order":1}'),
  approximateArrivalTimestamp: new Date('2026-01-02T03:04:05.000Z'),
  encryptionType: undefined,
};

test('a failed record goes to the dead-letter stream under its own partition key, with its origin, the error and the attempts', async (t) => {
  const client = new KinesisClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  const mock = mockClient(client);
  mock.on(PutRecordCommand).resolves({ SequenceNumber: '1', ShardId: 'shardId-000000000000' });
  await deadLetterToStream(client, 'orders-dlq')({ record, error: new TypeError('bad total'), attempts: 3 });
  const [call] = mock.commandCalls(PutRecordCommand);
  const input = call!.args[0].input;
  t.is(input.StreamName, 'orders-dlq');
  t.is(input.PartitionKey, 'customer-7');
  t.deepEqual(JSON.parse(new TextDecoder().decode(input.Data)), {
    origin: {
      stream: 'orders',
      shardId: 'shardId-000000000003',
      sequenceNumber: record.sequenceNumber,
      subSequenceNumber: 2,
      partitionKey: 'customer-7',
      approximateArrivalTimestamp: '2026-01-02T03:04:05.000Z',
    },
    error: 'TypeError: bad total',
    attempts: 3,
    data: Buffer.from('{"order":1}').toString('base64'),
  });
});

test('a stream given by ARN is addressed by ARN, and a failed write rejects (the policy retries it)', async (t) => {
  const client = new KinesisClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  const mock = mockClient(client);
  mock.on(PutRecordCommand).rejects(Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' }));
  const arn = 'arn:aws:kinesis:us-east-1:123456789012:stream/orders-dlq';
  await t.throwsAsync(deadLetterToStream(client, arn)({ record, error: 'x', attempts: 1 }), { message: 'throttled' });
  t.is(mock.commandCalls(PutRecordCommand)[0]!.args[0].input.StreamARN, arn);
});
