import test from 'ava';
import { StateStoreError } from '../../src/errors.js';
import { decodeShardStats, decodeStats, encodeShardStats, encodeStats, shardIdOfStatsKey, statsKey, validShardStats, validStats } from '../../src/state-store/heartbeat-stats.js';

test('validShardStats rounds counts, leaves out reading and undefined fields, and refuses bad values naming the shard', (t) => {
  t.deepEqual(validShardStats({ lagMs: 12.6, lastRecordAgeMs: 0, inFlight: 3, state: 'reading', error: undefined }, 's', 'sh'), { lagMs: 13, lastRecordAgeMs: 0, inFlight: 3 });
  t.deepEqual(validShardStats({ state: 'paused' }, 's', 'sh'), { state: 'paused' });
  for (const bad of [{ lagMs: -1 }, { inFlight: Infinity }, { lastRecordAgeMs: '5' as unknown as number }, { state: 'asleep' as never }]) {
    const err = t.throws(() => validShardStats(bad, 'orders', 'shardId-1'), { instanceOf: StateStoreError });
    t.regex(err!.message, /shard shardId-1 of stream "orders"/);
  }
  t.deepEqual(validStats({ s: {}, t: { a: { inFlight: 1 } } }), { t: { a: { inFlight: 1 } } }, 'streams without shards are left out');
});

test('one shard stats string in the item: lettered fields; decoding ignores unknown letters and refuses bad values', (t) => {
  const stats = { lagMs: 1200, lastRecordAgeMs: 350, inFlight: 12, state: 'stalled' as const, error: 'KINESIS_TIMEOUT' };
  const encoded = encodeShardStats(stats);
  t.is(encoded, 'l1200,a350,f12,sstalled,eKINESIS_TIMEOUT');
  t.deepEqual(decodeShardStats(encoded), stats);
  t.deepEqual(decodeShardStats('l7,r99,bsomething later'), { lagMs: 7 }, 'letters added by later versions are ignored');
  t.deepEqual(decodeShardStats(''), {});
  t.is(decodeShardStats('lx'), undefined);
  t.is(decodeShardStats('l-1'), undefined);
  t.is(decodeShardStats('sasleep'), undefined);
  t.is(decodeShardStats({ l: 1 }), undefined);
});

test('stats are keyed by the number of a standard shard id, and any other id as it is', (t) => {
  t.is(statsKey('shardId-000000000012'), '12');
  t.is(statsKey('shardId-000000000000'), '0');
  t.is(statsKey('custom-shard'), 'custom-shard');
  t.is(shardIdOfStatsKey('12'), 'shardId-000000000012');
  t.is(shardIdOfStatsKey('custom-shard'), 'custom-shard');
  const stats = { s: { 'shardId-000000000003': { lagMs: 1 }, odd: { state: 'paused' as const } } };
  t.deepEqual(encodeStats(stats), { s: { '3': 'l1', odd: 'spaused' } });
  const bad: string[] = [];
  t.deepEqual(decodeStats({ s: { '3': 'l1', odd: 'spaused', '4': 'lx' } }, (stream, key) => bad.push(`${stream}.${key}`)), stats);
  t.deepEqual(bad, ['s.4']);
});

test('throughput fields: rates kept to two significant digits (q, v), held time in whole ms (h)', (t) => {
  const stats = validShardStats({ recordsPerSec: 0.123456, bytesPerSec: 1_234_567, heldMs: 1500.4 }, 's', 'sh');
  t.deepEqual(stats, { recordsPerSec: 0.12, bytesPerSec: 1_200_000, heldMs: 1500 });
  t.is(encodeShardStats(stats), 'q0.12,v1200000,h1500');
  t.deepEqual(decodeShardStats('q0.12,v1200000,h1500'), stats);
  t.deepEqual(decodeShardStats('q1.2e-7'), { recordsPerSec: 1.2e-7 });
  t.is(decodeShardStats('h1.5'), undefined, 'held time is whole ms');
  t.throws(() => validShardStats({ recordsPerSec: -1 }, 'orders', 'shardId-1'), { instanceOf: StateStoreError, message: /recordsPerSec of shard shardId-1 of stream "orders"/ });
});
