import test from 'ava';
import { recordLine } from '../../src/cli/record-line.js';
import type { KinesumerRecord } from '../../src/record.js';

const record = (data: Uint8Array, overrides: Partial<KinesumerRecord> = {}): KinesumerRecord => ({
  stream: 'orders',
  shardId: 'shardId-000000000001',
  sequenceNumber: '49590338271490256608559692538361571095921575989136588818',
  partitionKey: 'customer-7',
  data,
  approximateArrivalTimestamp: new Date('2024-03-01T12:00:00.123Z'),
  encryptionType: 'NONE',
  ...overrides,
});

const bytes = (...values: number[]) => new Uint8Array(values);

test('a record is one line of JSON with the documented fields, in order', (t) => {
  const line = recordLine(record(new TextEncoder().encode('{"total":12}')));
  t.true(line.endsWith('\n'));
  t.is(line.indexOf('\n'), line.length - 1, 'exactly one newline, at the end');
  const parsed = JSON.parse(line) as Record<string, unknown>;
  t.deepEqual(Object.keys(parsed), ['stream', 'shardId', 'sequenceNumber', 'partitionKey', 'approximateArrivalTimestamp', 'data']);
  t.deepEqual(parsed, {
    stream: 'orders',
    shardId: 'shardId-000000000001',
    sequenceNumber: '49590338271490256608559692538361571095921575989136588818',
    partitionKey: 'customer-7',
    approximateArrivalTimestamp: '2024-03-01T12:00:00.123Z',
    data: '{"total":12}',
  });
});

test('valid UTF-8 is text: multi-byte characters, newlines and a leading BOM come through exactly', (t) => {
  const text = '\uFEFFhéllo\nwörld 🚀\u2028';
  const parsed = JSON.parse(recordLine(record(new TextEncoder().encode(text))));
  t.is(parsed.data, text);
});

test('bytes that are not valid UTF-8 come as {"base64": ...}', (t) => {
  for (const data of [bytes(0xff, 0xfe, 0x00), bytes(0xc3), bytes(0xed, 0xa0, 0x80) /* a UTF-16 surrogate */, bytes(0x68, 0x80)]) {
    const parsed = JSON.parse(recordLine(record(data)));
    t.deepEqual(parsed.data, { base64: Buffer.from(data).toString('base64') });
    t.deepEqual(Buffer.from(parsed.data.base64, 'base64'), Buffer.from(data));
  }
});

test('base64 covers exactly the record bytes of a view into a larger buffer', (t) => {
  const backing = bytes(1, 2, 0xff, 0xfe, 3, 4);
  const parsed = JSON.parse(recordLine(record(backing.subarray(2, 4))));
  t.deepEqual(parsed.data, { base64: Buffer.from([0xff, 0xfe]).toString('base64') });
});

test('an empty payload is the empty string; a missing arrival time is null', (t) => {
  const parsed = JSON.parse(recordLine(record(bytes(), { approximateArrivalTimestamp: undefined })));
  t.is(parsed.data, '');
  t.is(parsed.approximateArrivalTimestamp, null);
});
