/** The item codecs: kinesumer's time format, sequence numbers, and the wording of decode errors. */
import test from 'ava';
import { MalformedItemError } from '../../../src/errors.js';
import {
  CheckpointItem,
  ClientItem,
  ShardCacheItem,
  ShardStateItem,
  decodeItem,
  hasCheckpoint,
  parseRfc3339,
  shardStateOfItem,
} from '../../../src/state-store/dynamodb/items.js';

const iso = (text: string) => parseRfc3339(text)?.toISOString();

test('parseRfc3339 reads what Go\'s time.Time.MarshalText writes', (t) => {
  t.is(iso('2022-01-21T10:00:00Z'), '2022-01-21T10:00:00.000Z');
  t.is(iso('2022-01-21T10:00:00.1Z'), '2022-01-21T10:00:00.100Z');
  t.is(iso('2022-01-21T10:00:00.123456789Z'), '2022-01-21T10:00:00.123Z');
  t.is(iso('2022-01-21T10:00:00.999999999Z'), '2022-01-21T10:00:00.999Z', 'truncated, not rounded into the next second');
  t.is(iso('2022-01-21T19:00:00.5+09:00'), '2022-01-21T10:00:00.500Z');
  t.is(iso('2022-01-20T23:30:00-10:30'), '2022-01-21T10:00:00.000Z');
  t.is(iso('2024-02-29T00:00:00Z'), '2024-02-29T00:00:00.000Z');
  t.is(parseRfc3339('0001-01-01T00:00:00Z')?.getUTCFullYear(), 1, "Go's zero time is year 1, not 1901");
  t.is(iso(new Date(1_700_000_000_123).toISOString()), new Date(1_700_000_000_123).toISOString());
});

test('parseRfc3339 refuses what is not an RFC 3339 date-time', (t) => {
  for (const text of [
    '',
    'garbage',
    '2022-01-21',
    '2022-01-21T10:00:00',
    '2022-01-21 10:00:00Z',
    '2022-02-30T10:00:00Z',
    '2023-02-29T10:00:00Z',
    '2022-13-01T10:00:00Z',
    '2022-01-21T24:00:00Z',
    '2022-01-21T10:60:00Z',
    '2022-01-21T10:00:00.Z',
    '2022-01-21T10:00:00.1234567890Z',
    '2022-01-21T10:00:00+0900',
    '1642759200000',
  ]) {
    t.is(parseRfc3339(text), undefined, text);
  }
});

test('decodeItem keeps known attributes and drops unknown ones', (t) => {
  const result = decodeItem(CheckpointItem, {
    pk: 'check_point#app#s',
    sk: 'shardId-0',
    sequence_number: '42',
    last_update: '2022-01-21T10:00:00Z',
    extra: 'dropped',
  });
  t.deepEqual(result, {
    ok: true,
    value: { pk: 'check_point#app#s', sk: 'shardId-0', sequence_number: '42', last_update: new Date('2022-01-21T10:00:00Z') },
  });
  const shards = decodeItem(ShardCacheItem, {
    pk: 'shard_cache#app',
    sk: 's',
    shards: [{ ID: 'a', Closed: false, Future: 1 }],
    shard_ids: new Set(['a']),
  });
  t.deepEqual(shards, { ok: true, value: { pk: 'shard_cache#app', sk: 's', shards: [{ ID: 'a', Closed: false }], shard_ids: ['a'] } });
});

test('decodeItem names the key and every problem by path', (t) => {
  const result = decodeItem(ClientItem, { pk: 'client#app', sk: 'c1', last_update: 5 });
  t.false(result.ok);
  if (result.ok) return;
  t.true(result.error instanceof MalformedItemError);
  t.deepEqual(result.error.key, { pk: 'client#app', sk: 'c1' });
  t.is(
    result.error.message,
    'Malformed state-store item pk="client#app" sk="c1" skipped: Expecting RFC3339 date-time at ClientItem.last_update but instead got: 5',
  );

  const several = decodeItem(ShardCacheItem, { pk: 'shard_cache#app', shards: [{ ID: 1, Closed: 'yes' }] });
  t.false(several.ok);
  if (several.ok) return;
  t.deepEqual(several.error.key, { pk: 'shard_cache#app', sk: '<missing>' });
  t.is(
    several.error.message.split(': ').slice(1).join(': '),
    'Expecting string at ShardCacheItem.sk but instead got: undefined; ' +
      'Expecting string at ShardCacheItem.shards.0.ID but instead got: 1; ' +
      'Expecting boolean at ShardCacheItem.shards.0.Closed but instead got: "yes"',
  );
});

test('a sequence number must be a non-empty decimal string', (t) => {
  const base = { pk: 'p', sk: 's', last_update: '2022-01-21T10:00:00Z' };
  t.true(decodeItem(CheckpointItem, { ...base, sequence_number: '0' }).ok);
  for (const bad of ['', '-1', '1e5', ' 1', 12]) t.false(decodeItem(CheckpointItem, { ...base, sequence_number: bad }).ok, String(bad));
});

test('long bad values are cut in messages', (t) => {
  const result = decodeItem(ClientItem, { pk: 'p', sk: 's', last_update: 'x'.repeat(500) });
  t.false(result.ok);
  if (!result.ok) t.true(result.error.message.length < 250);
});

test('a shard state item has only its key required; owner, finished and shard_start are typed', (t) => {
  const key = { pk: 'check_point#app#s', sk: 'shardId-0' };
  t.deepEqual(decodeItem(ShardStateItem, { ...key, owner: 'a', extra: 1 }), { ok: true, value: { ...key, owner: 'a' } });
  t.deepEqual(decodeItem(ShardStateItem, { ...key, sequence_number: '1', last_update: '2022-01-21T10:00:00Z', finished: true, shard_start: '9' }), {
    ok: true,
    value: { ...key, sequence_number: '1', last_update: new Date('2022-01-21T10:00:00Z'), finished: true, shard_start: '9' },
  });
  const bad = decodeItem(ShardStateItem, { ...key, owner: 5, finished: 'no' });
  t.false(bad.ok);
  if (!bad.ok) {
    t.regex(bad.error.message, /Expecting string at ShardStateItem\.owner but instead got: 5; Expecting boolean at ShardStateItem\.finished/);
  }
  t.false(hasCheckpoint({ ...key, owner: 'a', last_update: '2022-01-21T10:00:00Z' }));
  t.true(hasCheckpoint({ ...key, sequence_number: 12 }), 'a bad sequence number is still meant as a checkpoint');
});

test('a position inside an aggregate: this version\'s item (kinesumer\'s checkpoint before it, the aggregate apart) and an older version\'s read alike', (t) => {
  const key = { pk: 'check_point#app#s', sk: 'shardId-0' };
  const item = (fields: Record<string, unknown>) => {
    const r = decodeItem(ShardStateItem, { ...key, ...fields });
    return r.ok ? shardStateOfItem(r.value) : r.error.message;
  };
  t.deepEqual(item({ sequence_number: '150', aggregate_sequence_number: '200', sub_sequence_number: 3 }), {
    shardId: 'shardId-0',
    sequenceNumber: '200',
    subSequenceNumber: 3,
    precedingSequenceNumber: '150',
    finished: false,
  });
  t.deepEqual(item({ sequence_number: '200', sub_sequence_number: 3 }), { shardId: 'shardId-0', sequenceNumber: '200', subSequenceNumber: 3, finished: false });
  // an aggregate without its sub-sequence number is no position: reported, not guessed at
  t.regex(String(item({ sequence_number: '150', aggregate_sequence_number: '200' })), /Expecting a sequence number with a sub_sequence_number next to it at ShardStateItem\.aggregate_sequence_number but instead got: "200"/);
  t.regex(String(item({ aggregate_sequence_number: 'x', sub_sequence_number: 1 })), /Expecting decimal digit string at ShardStateItem\.aggregate_sequence_number/);
});

test('a shard entry may carry its starting sequence number', (t) => {
  const result = decodeItem(ShardCacheItem, { pk: 'p', sk: 's', shards: [{ ID: 'a', Closed: false, StartingSequenceNumber: '123' }] });
  t.deepEqual(result, { ok: true, value: { pk: 'p', sk: 's', shards: [{ ID: 'a', Closed: false, StartingSequenceNumber: '123' }] } });
});
