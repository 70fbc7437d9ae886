/**
 * The seek's plan (which shards go where, in which order) and the lineage rules a pending seek
 * changes: it does not prove its parents were read, and a child sought with its parents waits for
 * their seeks.
 */
import test from 'ava';
import { UsageError } from '../../src/errors.js';
import { seekTarget } from '../../src/group/seek-group.js';
import { planSeek } from '../../src/group/seek-plan.js';
import { readableShards, removableStates, type StreamSnapshot } from '../../src/group/shard-lineage.js';
import type { CachedShard, ShardState } from '../../src/state-store/state-store.js';

const id = (n: number) => `shardId-${String(n).padStart(12, '0')}`;
// 0 split into 2 and 3; 1 open; 3 split into 4 and 5
const shards: CachedShard[] = [
  { id: id(0), closed: true },
  { id: id(1), closed: false },
  { id: id(2), closed: false, parentShardId: id(0) },
  { id: id(3), closed: true, parentShardId: id(0) },
  { id: id(4), closed: false, parentShardId: id(3) },
  { id: id(5), closed: false, parentShardId: id(3) },
];
const T = new Date('2024-03-01T12:00:00Z');
const read = (n: number, extra: Partial<ShardState> = {}): ShardState => ({ shardId: id(n), sequenceNumber: '1', finished: false, owner: 'a', ...extra });
// the group read everything: 0 and 3 finished and deleted, their children have state
const states: ShardState[] = [read(1), read(2), read(4), read(5)];

test('a whole-stream seek to a time sends every shard there, parents before children, each child after its sought parents', (t) => {
  const plan = planSeek('s', shards, states, { type: 'AT_TIMESTAMP', timestamp: T });
  t.deepEqual(
    plan.steps.map((s) => [s.shardId.slice(-1), s.action, s.target?.type, s.after.map((p) => p.slice(-1))]),
    [
      ['0', 'seek', 'AT_TIMESTAMP', []],
      ['1', 'seek', 'AT_TIMESTAMP', []],
      ['2', 'seek', 'AT_TIMESTAMP', ['0']],
      ['3', 'seek', 'AT_TIMESTAMP', ['0']],
      ['4', 'seek', 'AT_TIMESTAMP', ['3']],
      ['5', 'seek', 'AT_TIMESTAMP', ['3']],
    ],
  );
});

test('a seek to LATEST records closed shards finished (nothing comes after their tip) and sends open ones to the tip', (t) => {
  const plan = planSeek('s', shards, states, { type: 'LATEST' });
  t.deepEqual(plan.steps.map((s) => [s.shardId.slice(-1), s.action]), [
    ['0', 'finish'],
    ['1', 'seek'],
    ['2', 'seek'],
    ['3', 'finish'],
    ['4', 'seek'],
    ['5', 'seek'],
  ]);
});

test('a seek of some shards takes their descendants along and keeps their read ancestors finished; a sequence number is for its shard only', (t) => {
  const plan = planSeek('s', shards, states, { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: '77' }, [id(3)]);
  t.deepEqual(
    plan.steps.map((s) => [s.shardId.slice(-1), s.action, s.target?.type ?? '-', s.after.map((p) => p.slice(-1))]),
    [
      ['0', 'keepFinished', '-', []],
      ['3', 'seek', 'AT_SEQUENCE_NUMBER', []],
      ['4', 'seek', 'TRIM_HORIZON', ['3']],
      ['5', 'seek', 'TRIM_HORIZON', ['3']],
    ],
  );
  // an ancestor still being read is not marked finished
  const reading = planSeek('s', shards, [read(0), read(1)], { type: 'TRIM_HORIZON' }, [id(2)]);
  t.deepEqual(reading.steps.map((s) => [s.shardId.slice(-1), s.action]), [['2', 'seek']]);
});

/** The states after applying a plan the way the store would, with the given seek counters. */
function afterSeek(before: ShardState[], steps: ReturnType<typeof planSeek>['steps']): Map<string, ShardState> {
  const out = new Map(before.map((s) => [s.shardId, s]));
  for (const step of steps) {
    const old = out.get(step.shardId);
    const seek = (old?.seek ?? 0) + 1;
    const after = Object.fromEntries(step.after.map((p) => [p, (out.get(p)?.seek ?? 0)]));
    out.set(step.shardId, {
      shardId: step.shardId,
      ...(old?.owner === undefined ? {} : { owner: old.owner }),
      finished: step.action !== 'seek',
      seek,
      ...(step.action === 'seek' ? { seekTo: 'x', ...(step.after.length > 0 ? { seekAfter: after } : {}) } : {}),
    });
  }
  return out;
}

test('after a whole-stream seek only the first generation is readable; a child is readable once its parents are read to their end again', (t) => {
  const plan = planSeek('s', shards, states, { type: 'TRIM_HORIZON' });
  const soughtStates = afterSeek(states, plan.steps);
  const snapshot: StreamSnapshot = { shards, states: soughtStates };
  t.deepEqual(readableShards(snapshot, false), [id(0), id(1)], 'the pending children prove nothing about their parents');
  t.deepEqual(removableStates({ ...snapshot, stale: [] }), []);
  // when 0 is read to its end again (its commit ends its pending seek)
  soughtStates.set(id(0), { shardId: id(0), finished: true, seek: 1 });
  t.deepEqual(readableShards(snapshot, false), [id(1), id(2), id(3)]);
  t.deepEqual(removableStates({ ...snapshot, stale: [] }), [], "0 is kept while its children's seeks are pending");
  // and once its children committed under the seek, 0's state can go
  soughtStates.set(id(2), { shardId: id(2), finished: false, seek: 1, sequenceNumber: '5' });
  soughtStates.set(id(3), { shardId: id(3), finished: true, seek: 1 });
  t.deepEqual(removableStates({ ...snapshot, stale: [] }), [id(0)], 'only 0: 3 has pending children');
});

test('a child sought with its parents is not readable while a listing still shows a parent from before the seek', (t) => {
  // given the seek wrote 3 and then its children, and a listing saw 3's old finished state but 4's new one
  const snapshot: StreamSnapshot = {
    shards,
    states: new Map([
      [id(3), { shardId: id(3), finished: true, seek: 2 }],
      [id(4), { shardId: id(4), finished: false, seek: 1, seekTo: 'x', seekAfter: { [id(3)]: 3 } }],
      [id(5), read(5)],
    ]),
  };
  t.false(readableShards(snapshot, false).includes(id(4)));
  snapshot.states.set(id(3), { shardId: id(3), finished: true, seek: 3 });
  t.true(readableShards(snapshot, false).includes(id(4)), 'once the listing shows the parent sought too');
});

test('seekTarget: positions, and the errors of bad ones', (t) => {
  const now = new Date('2024-03-02T00:00:00Z');
  t.deepEqual(seekTarget('TRIM_HORIZON'), { type: 'TRIM_HORIZON' });
  t.deepEqual(seekTarget('LATEST'), { type: 'LATEST' });
  t.deepEqual(seekTarget(T, { now }), { type: 'AT_TIMESTAMP', timestamp: T });
  t.deepEqual(seekTarget({ timestamp: T }, { now }), { type: 'AT_TIMESTAMP', timestamp: T });
  t.deepEqual(seekTarget({ sequenceNumber: '42' }, { shards: [id(1)] }), { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: '42' });
  const bad: [unknown, object, RegExp][] = [
    ['latest', {}, /is not a position/],
    [new Date('nope'), {}, /not a valid Date/],
    [new Date('2024-03-03T00:00:00Z'), { now }, /is in the future/],
    [{ sequenceNumber: '42' }, {}, /exactly one in shards/],
    [{ sequenceNumber: '42' }, { shards: [id(1), id(2)] }, /exactly one in shards/],
    [{ sequenceNumber: '4x2' }, { shards: [id(1)] }, /not a decimal string/],
    ['TRIM_HORIZON', { shards: [] }, /non-empty array of shard ids/],
  ];
  for (const [to, options, message] of bad) {
    const err = t.throws(() => seekTarget(to as never, options), { instanceOf: UsageError });
    t.is(err!.code, 'INVALID_SEEK');
    t.regex(err!.message, message);
  }
});
