import test from 'ava';
import { StateStoreError } from '../../src/errors.js';
import { decodeShardStats, encodeShardStats, validShardStats, validStats } from '../../src/state-store/heartbeat-stats.js';

test('validShardStats rounds counts, leaves out reading and undefined fields, and refuses bad values naming the shard', (t) => {
  t.deepEqual(validShardStats({ lagMs: 12.6, lastRecordAgeMs: 0, inFlight: 3, state: 'reading', error: undefined }, 's', 'sh'), { lagMs: 13, lastRecordAgeMs: 0, inFlight: 3 });
  t.deepEqual(validShardStats({ state: 'paused' }, 's', 'sh'), { state: 'paused' });
  for (const bad of [{ lagMs: -1 }, { inFlight: Infinity }, { lastRecordAgeMs: '5' as unknown as number }, { state: 'asleep' as never }]) {
    const err = t.throws(() => validShardStats(bad, 'orders', 'shardId-1'), { instanceOf: StateStoreError });
    t.regex(err!.message, /shard shardId-1 of stream "orders"/);
  }
  t.deepEqual(validStats({ s: {}, t: { a: { inFlight: 1 } } }), { t: { a: { inFlight: 1 } } }, 'streams without shards are left out');
});

test('one shard stats map in the item: one-letter keys; decoding ignores unknown letters, takes wrapped numbers, refuses wrong types', (t) => {
  const stats = { lagMs: 1200, lastRecordAgeMs: 350, inFlight: 12, state: 'stalled' as const, error: 'KINESIS_TIMEOUT' };
  const encoded = encodeShardStats(stats);
  t.deepEqual(encoded, { l: 1200, a: 350, f: 12, s: 'stalled', e: 'KINESIS_TIMEOUT' });
  t.deepEqual(decodeShardStats(encoded), stats);
  t.deepEqual(decodeShardStats({ l: { value: '7' }, r: 99, b: 'later field' }), { lagMs: 7 }, 'letters added by later versions are ignored');
  t.is(decodeShardStats({ l: 'x' }), undefined);
  t.is(decodeShardStats({ s: 'asleep' }), undefined);
  t.is(decodeShardStats([1]), undefined);
  t.is(decodeShardStats('l1'), undefined);
});
