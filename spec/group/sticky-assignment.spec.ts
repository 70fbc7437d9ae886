/** Table tests of the 'sticky' assignment as a pure function, and of what the strategies do to a stream's lineage. */
import test from 'ava';
import { assignStream } from '../../src/group/assign-stream.js';
import { readableShards, type StreamSnapshot } from '../../src/group/shard-lineage.js';
import { stickyAssignment, type StreamAssignment } from '../../src/group/sticky-assignment.js';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `s${String(i).padStart(2, '0')}`);

/** The owners of `assignment` as a map shard → client. */
const ownersOf = (assignment: StreamAssignment) => new Map(Object.entries(assignment).flatMap(([client, shards]) => shards.map((s): [string, string] => [s, client])));

/** How many shards changed owner from `before` to `after`. */
const moved = (before: StreamAssignment, after: StreamAssignment) => {
  const was = ownersOf(before);
  return [...ownersOf(after)].filter(([shard, client]) => was.get(shard) !== undefined && was.get(shard) !== client).length;
};

const sizes = (a: StreamAssignment) => Object.values(a).map((s) => s.length);

test('a join of a 4th client to 3 on 12 shards moves 3 shards, one from each, to the newcomer', (t) => {
  const before = stickyAssignment({ stream: 's', shards: ids(12), clients: ['a', 'b', 'c'], owners: new Map() });
  t.deepEqual(sizes(before), [4, 4, 4]);
  const after = stickyAssignment({ stream: 's', shards: ids(12), clients: ['a', 'b', 'c', 'd'], owners: ownersOf(before) });
  t.deepEqual(sizes(after), [3, 3, 3, 3]);
  t.is(moved(before, after), 3);
  for (const id of ['a', 'b', 'c']) t.true(after[id]!.every((s) => before[id]!.includes(s)), `${id} only loses shards`);
});

test('a leave of 1 of 4 clients on 12 shards moves only its 3 shards, one to each survivor', (t) => {
  const before = stickyAssignment({ stream: 's', shards: ids(12), clients: ['a', 'b', 'c', 'd'], owners: new Map() });
  const after = stickyAssignment({ stream: 's', shards: ids(12), clients: ['a', 'b', 'd'], owners: ownersOf(before) });
  t.deepEqual(sizes(after), [4, 4, 4]);
  for (const id of ['a', 'b', 'd']) t.true(before[id]!.every((s) => after[id]!.includes(s)), `${id} keeps its shards`);
  t.deepEqual(after['a']!.concat(after['b']!, after['d']!).filter((s) => before['c']!.includes(s)).sort(), before['c']);
});

test('a balanced assignment computed again from itself moves nothing (a restart under the same ids)', (t) => {
  for (const [n, c] of [[12, 4], [7, 3], [200, 20], [3, 5]] as const) {
    const clients = Array.from({ length: c }, (_, i) => `c${i}`);
    const first = stickyAssignment({ stream: 's', shards: ids(n), clients, owners: new Map() });
    t.deepEqual(stickyAssignment({ stream: 's', shards: ids(n), clients, owners: ownersOf(first) }), first, `${n}/${c}`);
  }
});

test('more clients than shards: each shard stays with its owner, orphans go to clients without any', (t) => {
  const owners = new Map([['s00', 'e']]);
  const out = stickyAssignment({ stream: 's', shards: ids(3), clients: ['a', 'b', 'c', 'd', 'e'], owners });
  t.deepEqual(out['e'], ['s00']);
  t.deepEqual(sizes(out).sort(), [0, 0, 1, 1, 1]);
  t.deepEqual(Object.values(out).flat().sort(), ids(3));
});

test('one-shard streams: the shard stays with its owner; unowned ones spread over the clients by stream', (t) => {
  const clients = Array.from({ length: 10 }, (_, i) => `c${i}`);
  t.deepEqual(stickyAssignment({ stream: 'x', shards: ['s00'], clients, owners: new Map([['s00', 'c7']]) })['c7'], ['s00']);
  const winners = new Set(Array.from({ length: 10 }, (_, i) => {
    const out = stickyAssignment({ stream: `stream-${i}`, shards: ['s00'], clients, owners: new Map() });
    return Object.entries(out).find(([, s]) => s.length === 1)![0];
  }));
  t.true(winners.size >= 5, `ten one-shard streams land on ${winners.size} clients`);
});

test('an owner that is not alive does not count: its shards are orphans', (t) => {
  const out = stickyAssignment({ stream: 's', shards: ids(4), clients: ['a', 'b'], owners: new Map(ids(4).map((s) => [s, 'gone'])) });
  t.deepEqual(sizes(out), [2, 2]);
});

test('an owner holding more than its share keeps the lowest ids; shares differ by at most one, for 1..30 shards and 1..8 clients', (t) => {
  for (let n = 1; n <= 30; n++) {
    for (let c = 1; c <= 8; c++) {
      const clients = Array.from({ length: c }, (_, i) => `c${i}`);
      const out = stickyAssignment({ stream: 's', shards: ids(n), clients, owners: new Map(ids(n).map((s) => [s, 'c0'])) });
      t.deepEqual(Object.values(out).flat().sort(), ids(n), `${n}/${c}: every shard once`);
      t.true(Math.max(...sizes(out)) - Math.min(...sizes(out)) <= 1, `${n}/${c}: ${sizes(out).join(',')}`);
      t.deepEqual(out['c0'], ids(n).slice(0, out['c0']!.length), `${n}/${c}: c0 keeps its lowest`);
    }
  }
});

test('the result does not depend on the order of clients, shards or owners', (t) => {
  const owners: Array<[string, string]> = [['s03', 'b'], ['s01', 'b'], ['s07', 'a'], ['s02', 'c']];
  const one = stickyAssignment({ stream: 's', shards: ids(10), clients: ['a', 'b', 'c'], owners: new Map(owners) });
  const two = stickyAssignment({ stream: 's', shards: ids(10).reverse(), clients: ['c', 'a', 'b'], owners: new Map([...owners].reverse()) });
  t.deepEqual(one, two);
});

test('a client holding a closed shard being read keeps it; its children are assigned to nobody until it is finished', (t) => {
  // s0 closed and split into s1, s2; s3 open. a holds s0 (not finished); b holds s3.
  const shards = [
    { id: 's0', closed: true },
    { id: 's1', closed: false, parentShardId: 's0' },
    { id: 's2', closed: false, parentShardId: 's0' },
    { id: 's3', closed: false },
  ];
  const reading: StreamSnapshot = { shards, states: new Map([['s0', { shardId: 's0', owner: 'a', finished: false }], ['s3', { shardId: 's3', owner: 'b', finished: false }]]) };
  t.deepEqual(readableShards(reading, false), ['s0', 's3']);
  for (const strategy of ['sticky', 'balanced', 'kinesumer'] as const) {
    const mine = (index: number, snapshot: StreamSnapshot) => assignStream(strategy, 'st', readableShards(snapshot, false), snapshot, ['a', 'b', 'c'], index);
    const all = [0, 1, 2].flatMap((i) => mine(i, reading));
    t.deepEqual(all.sort(), ['s0', 's3'], `${strategy}: no child before its parent is finished`);
    if (strategy !== 'kinesumer') t.deepEqual([mine(0, reading), mine(1, reading)], [['s0'], ['s3']], `${strategy}: owners keep theirs`);
  }
  // when a finishes s0, both children become readable and go to the clients with the fewest
  const done: StreamSnapshot = { shards, states: new Map([['s0', { shardId: 's0', owner: 'a', finished: true }], ['s3', { shardId: 's3', owner: 'b', finished: false }]]) };
  const after = [0, 1, 2].map((i) => assignStream('sticky', 'st', readableShards(done, false), done, ['a', 'b', 'c'], i));
  t.deepEqual(after.flat().sort(), ['s1', 's2', 's3']);
  t.deepEqual(after[1], ['s3']);
  t.deepEqual(after.map((x) => x.length), [1, 1, 1]);
});
