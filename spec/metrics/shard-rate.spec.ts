import test from 'ava';
import { RATE_TIME_CONSTANT, sampleRate, startRate } from '../../src/metrics/shard-rate.js';
import { groupLoads, loadOf } from '../../src/group/group-loads.js';
import type { HeartbeatStats } from '../../src/state-store/state-store.js';

test('a steady rate shows at once after the take, not growing from zero, and a change shows over a few time constants', (t) => {
  const rate = startRate(0, 500, 0);
  // 10 records and 1000 bytes a second, sampled every 5 s
  let out = { recordsPerSec: 0, bytesPerSec: 0 };
  for (let s = 5; s <= 30; s += 5) out = sampleRate(rate, s * 1000, 500 + 10 * s, 1000 * s);
  t.true(Math.abs(out.recordsPerSec - 10) < 1e-9, `${out.recordsPerSec}`);
  t.true(Math.abs(out.bytesPerSec - 1000) < 1e-6);
  // then 30 records a second: after one time constant about 63 % of the way, after four about all
  let records = 500 + 300;
  let now = 30_000;
  const after = (ms: number) => {
    for (const end = now + ms; now < end; ) {
      now += 5000;
      records += 150;
      out = sampleRate(rate, now, records, 0);
    }
    return out.recordsPerSec;
  };
  const one = after(RATE_TIME_CONSTANT);
  t.true(one > 20 && one < 27, `${one}`);
  t.true(after(3 * RATE_TIME_CONSTANT) > 29);
  t.deepEqual(sampleRate(startRate(100, 0, 0), 100, 0, 0), { recordsPerSec: 0, bytesPerSec: 0 }, 'nothing known at the take');
});

test('a shard load is the larger of its record and byte share of a shard, counted only from its owner', (t) => {
  t.deepEqual(loadOf({ recordsPerSec: 500, bytesPerSec: 1024 * 1024 * 0.1, heldMs: 9 }), { weight: 0.5, heldMs: 9 });
  t.is(loadOf({ lagMs: 3 }), undefined);
  const snapshot = { shards: [], states: new Map([['x', { shardId: 'x', owner: 'a', finished: false }], ['y', { shardId: 'y', finished: false }]]) };
  const stats = new Map<string, HeartbeatStats>([
    ['a', { s: { x: { recordsPerSec: 100 } } }],
    ['b', { s: { x: { recordsPerSec: 900 }, y: { recordsPerSec: 5 } } }],
  ]);
  t.deepEqual(groupLoads(stats, { s: snapshot }), new Map([['s', new Map([['x', { weight: 0.1 }]])]]));
});
