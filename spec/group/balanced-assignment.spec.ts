/** Table tests of the 'balanced' assignment as a pure function. */
import test from 'ava';
import { balancedAssignment, quantize, shardWeights, type ShardLoad } from '../../src/group/balanced-assignment.js';
import type { StreamAssignment } from '../../src/group/sticky-assignment.js';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `s${String(i).padStart(2, '0')}`);
const ownersOf = (a: StreamAssignment) => new Map(Object.entries(a).flatMap(([client, shards]) => shards.map((s): [string, string] => [s, client])));
const loadsOf = (weights: number[], heldMs = 3_600_000) => new Map(weights.map((w, i): [string, ShardLoad] => [ids(weights.length)[i]!, { weight: w, heldMs }]));
const clientLoads = (a: StreamAssignment, weights: number[]) => Object.values(a).map((shards) => shards.reduce((sum, s) => sum + weights[Number(s.slice(1))]!, 0));
const ratio = (a: StreamAssignment, weights: number[]) => {
  const loads = clientLoads(a, weights);
  return Math.max(...loads) / (loads.reduce((x, y) => x + y, 0) / loads.length);
};

test('without any published load it splits by count like sticky, and a join moves only what the newcomer needs', (t) => {
  const before = balancedAssignment({ stream: 's', shards: ids(12), clients: ['a', 'b', 'c'], owners: new Map() }, new Map());
  t.deepEqual(Object.values(before).map((s) => s.length), [4, 4, 4]);
  const after = balancedAssignment({ stream: 's', shards: ids(12), clients: ['a', 'b', 'c', 'd'], owners: ownersOf(before) }, new Map());
  t.deepEqual(Object.values(after).map((s) => s.length), [3, 3, 3, 3]);
  for (const id of ['a', 'b', 'c']) t.true(after[id]!.every((s) => before[id]!.includes(s)));
});

test('a hot shard gets a client of its own when the others can carry the rest', (t) => {
  // one shard 20x the others, 8 shards, 3 clients: total 27, mean 9
  const weights = [20, 1, 1, 1, 1, 1, 1, 1];
  const owners = new Map(ids(8).map((s, i) => [s, ['a', 'b', 'c'][i % 3]!]));
  const out = balancedAssignment({ stream: 's', shards: ids(8), clients: ['a', 'b', 'c'], owners }, loadsOf(weights));
  const hot = Object.entries(out).find(([, s]) => s.includes('s00'))![0];
  t.deepEqual(out[hot], ['s00']);
});

test('with Zipf-skewed loads on 8 clients x 64 shards (the hottest 20x the median), max/mean ends within 1.2 or the hot shard alone', (t) => {
  const s = Math.log(20) / Math.log(32.5);
  const weights = ids(64).map((_, i) => quantize(1000 / (i + 1) ** s));
  const clients = Array.from({ length: 8 }, (_, i) => `c${i}`);
  const owners = new Map(ids(64).map((id, i) => [id, clients[i % 8]!]));
  const out = balancedAssignment({ stream: 's', shards: ids(64), clients, owners }, loadsOf(weights));
  // the hottest shard alone is 1.29x the mean client load: that is as even as the shards allow
  const bound = Math.max(1.2, weights[0]! / (weights.reduce((a, b) => a + b, 0) / 8));
  t.true(ratio(out, weights) <= bound * 1.02, `max/mean ${ratio(out, weights)}, bound ${bound}`);
  const others = clientLoads(out, weights).filter((_, i) => !Object.values(out)[i]!.includes('s00'));
  const mean = weights.reduce((a, b) => a + b, 0) / 8;
  t.true(Math.max(...others) / mean <= 1.2, `the other clients: ${Math.max(...others) / mean}`);
});

test('its result is a fixed point: computed again with the same loads, nothing moves', (t) => {
  const weights = ids(40).map((_, i) => 10 / (i + 1));
  const clients = ['a', 'b', 'c', 'd', 'e'];
  const first = balancedAssignment({ stream: 's', shards: ids(40), clients, owners: new Map() }, loadsOf(weights));
  t.deepEqual(balancedAssignment({ stream: 's', shards: ids(40), clients, owners: ownersOf(first) }, loadsOf(weights)), first);
});

test('a load within the threshold of the mean moves nothing', (t) => {
  // a carries 10.5, b 9.5: mean 10, a is within 10 % of it
  const weights = [5.5, 5, 5, 4.5];
  const owners = new Map([['s00', 'a'], ['s01', 'a'], ['s02', 'b'], ['s03', 'b']]);
  const out = balancedAssignment({ stream: 's', shards: ids(4), clients: ['a', 'b'], owners }, loadsOf(weights));
  t.deepEqual(out, { a: ['s00', 's01'], b: ['s02', 's03'] });
});

test('shards taken recently move only when no other shard of the owner would do', (t) => {
  // a carries 4 equal shards, b none: two must move; s00 and s01 were taken a minute ago
  const loads = new Map(ids(4).map((s, i): [string, ShardLoad] => [s, { weight: 1, heldMs: i < 2 ? 60_000 : 3_600_000 }]));
  const out = balancedAssignment({ stream: 's', shards: ids(4), clients: ['a', 'b'], owners: new Map(ids(4).map((s) => [s, 'a'])) }, loads);
  t.deepEqual(out, { a: ['s00', 's01'], b: ['s02', 's03'] });
});

test('more clients than shards, and a one-shard stream: every shard read once, owners kept', (t) => {
  const out = balancedAssignment({ stream: 's', shards: ids(2), clients: ['a', 'b', 'c'], owners: new Map([['s01', 'c']]) }, loadsOf([3, 1]));
  t.deepEqual(Object.values(out).flat().sort(), ids(2));
  t.deepEqual(out['c'], ['s01']);
  const one = balancedAssignment({ stream: 's', shards: ['s00'], clients: ['a', 'b'], owners: new Map([['s00', 'b']]) }, loadsOf([7]));
  t.deepEqual(one, { a: [], b: ['s00'] });
});

test('the result does not depend on the order of the inputs', (t) => {
  const weights = ids(9).map((_, i) => (i * 7) % 5 + 1);
  const owners: Array<[string, string]> = [['s01', 'b'], ['s04', 'a'], ['s05', 'b']];
  const one = balancedAssignment({ stream: 's', shards: ids(9), clients: ['a', 'b', 'c'], owners: new Map(owners) }, loadsOf(weights));
  const two = balancedAssignment({ stream: 's', shards: ids(9).reverse(), clients: ['c', 'b', 'a'], owners: new Map([...owners].reverse()) }, new Map([...loadsOf(weights)].reverse()));
  t.deepEqual(one, two);
});

test('weights: two significant digits, the median for a shard without a load, and a floor of 1 % of the mean', (t) => {
  t.is(quantize(0.123456), 0.12);
  t.is(quantize(-1), 0);
  const w = shardWeights(['x', 'y', 'z'], new Map([['x', { weight: 2 }], ['y', { weight: 4 }]]));
  // known 2 and 4: median (upper) 4 for z; mean (2 + 4 + 4) / 3, floor 1 % of it
  const floor = (10 / 3) * 0.01;
  t.deepEqual([...w.values()].map((v) => Number(v.toFixed(6))), [2 + floor, 4 + floor, 4 + floor].map((v) => Number(v.toFixed(6))));
  t.deepEqual([...shardWeights(['x'], new Map()).values()], [1]);
});

test('while an owned shard has no published load (just taken), nothing moves on a guess; orphans are still placed', (t) => {
  // a holds the hot s00 and s01, b holds s02 whose new owner published nothing yet; s03 is free
  const loads = new Map<string, ShardLoad>([['s00', { weight: 9 }], ['s01', { weight: 1 }], ['s03', { weight: 1 }]]);
  const owners = new Map([['s00', 'a'], ['s01', 'a'], ['s02', 'b']]);
  const out = balancedAssignment({ stream: 's', shards: ids(4), clients: ['a', 'b'], owners }, loads);
  t.deepEqual(out, { a: ['s00', 's01'], b: ['s02', 's03'] });
  // once s02's load is published, s01 moves off the hot client
  loads.set('s02', { weight: 1 });
  t.deepEqual(balancedAssignment({ stream: 's', shards: ids(4), clients: ['a', 'b'], owners: ownersOf(out) }, loads), { a: ['s00'], b: ['s01', 's02', 's03'] });
});
