import test from 'ava';
import { assignShards } from '../../src/group/assignment.js';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `s${i}`);

// kinesumer: r = shards / clients; client i takes shards[round(i*r) : round((i+1)*r)], with Go's
// math.Round (half away from zero). Expected slices worked out by hand from that formula.
const table: Array<[shards: number, clients: number, expected: string[][]]> = [
  [6, 3, [['s0', 's1'], ['s2', 's3'], ['s4', 's5']]],
  [4, 3, [['s0'], ['s1', 's2'], ['s3']]], // r = 1.33: 0..1, 1..3, 3..4
  [5, 2, [['s0', 's1', 's2'], ['s3', 's4']]], // r = 2.5: round(2.5) = 3
  [3, 2, [['s0', 's1'], ['s2']]], // r = 1.5: round(1.5) = 2
  [7, 4, [['s0', 's1'], ['s2', 's3'], ['s4'], ['s5', 's6']]], // 1.75, 3.5 -> 4, 5.25 -> 5
  [2, 5, [[], ['s0'], [], ['s1'], []]], // more clients than shards: r = 0.4
  [1, 1, [['s0']]],
  [0, 3, [[], [], []]],
];

for (const [shards, clients, expected] of table) {
  test(`${shards} shards over ${clients} clients match kinesumer's split`, (t) => {
    t.deepEqual(
      Array.from({ length: clients }, (_, i) => assignShards(ids(shards), clients, i)),
      expected,
    );
  });
}

test('every shard has exactly one owner and shares differ by at most one, for 1..40 shards and 1..12 clients', (t) => {
  for (let shards = 1; shards <= 40; shards++) {
    for (let clients = 1; clients <= 12; clients++) {
      const parts = Array.from({ length: clients }, (_, i) => assignShards(ids(shards), clients, i));
      t.deepEqual(parts.flat(), ids(shards), `${shards}/${clients}`);
      const sizes = parts.map((p) => p.length);
      t.true(Math.max(...sizes) - Math.min(...sizes) <= 1, `${shards}/${clients}: ${sizes.join(',')}`);
    }
  }
});

test('a client that is not among the alive clients owns nothing', (t) => {
  t.deepEqual(assignShards(ids(4), 2, -1), []);
  t.deepEqual(assignShards(ids(4), 2, 2), []);
});
