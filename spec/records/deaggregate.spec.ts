import test from 'ava';
import { deaggregate, isAggregated } from '../../src/records/deaggregate.js';
import { aggregateRecords } from '../helpers/kpl.js';

test('a KPL aggregate yields its user records in order, with keys, explicit hash keys and sub-sequence numbers', async (t) => {
  const [data] = await aggregateRecords([
    { partitionKey: 'a', data: 'one' },
    { partitionKey: 'b', explicitHashKey: '12345', data: 'two' },
    { partitionKey: 'a', data: 'three' },
  ]);
  t.true(isAggregated(data));
  const result = deaggregate({ Data: data, PartitionKey: 'outer', SequenceNumber: '100' });
  t.false('error' in result);
  if ('error' in result) return;
  t.deepEqual(
    result.records.map((r) => [r.partitionKey, r.explicitHashKey, r.subSequenceNumber, Buffer.from(r.data).toString()]),
    [
      ['a', undefined, 0, 'one'],
      ['b', '12345', 1, 'two'],
      ['a', undefined, 2, 'three'],
    ],
  );
});

test('plain records are not taken for aggregates', (t) => {
  t.false(isAggregated(new TextEncoder().encode('{"plain": "json record"}')));
  t.false(isAggregated(new Uint8Array([0xf3, 0x89, 0x9a, 0xc2])), 'magic bytes alone are too short to be an aggregate');
  t.false(isAggregated(undefined));
});

test('an aggregate with a bad checksum is an error, not records', async (t) => {
  const [data] = await aggregateRecords([{ partitionKey: 'a', data: 'one' }, { partitionKey: 'b', data: 'two' }]);
  const corrupt = Buffer.from(data!);
  corrupt[corrupt.length - 1]! ^= 0xff; // flip a checksum byte
  const result = deaggregate({ Data: corrupt, PartitionKey: 'outer', SequenceNumber: '100' });
  t.true('error' in result);
  if ('error' in result) t.regex(result.error.message, /checksum/i);
});
