/**
 * Which shards may be read, where they start, and what the leader may delete, across splits and
 * merges: the rules that keep every partition key in order and lose nothing while the stream
 * reshards.
 */
import test from 'ava';
import {
  inheritsReading,
  isDone,
  readableShards,
  removableStates,
  snapshotOf,
} from '../../src/group/shard-lineage.js';
import type { CachedShard, ShardState } from '../../src/state-store/state-store.js';

const shard = (id: string, extra: Partial<CachedShard> = {}): CachedShard => ({ id, closed: false, ...extra });
const state = (shardId: string, extra: Partial<ShardState> = {}): ShardState => ({ shardId, finished: false, ...extra });

// p split into c1 and c2; c1 and c2 merged into m
const lineage = [
  shard('p', { closed: true }),
  shard('c1', { closed: true, parentShardId: 'p' }),
  shard('c2', { closed: true, parentShardId: 'p' }),
  shard('m', { parentShardId: 'c1', adjacentParentShardId: 'c2' }),
];

test('a child is readable only after all its parents finished', (t) => {
  const at = (states: ShardState[]) => readableShards(snapshotOf(lineage, states), false);
  t.deepEqual(at([]), ['p']);
  t.deepEqual(at([state('p', { owner: 'a', sequenceNumber: '5' })]), ['p']);
  t.deepEqual(at([state('p', { finished: true, sequenceNumber: '9' })]), ['c1', 'c2']);
  t.deepEqual(at([state('p', { finished: true }), state('c1', { finished: true })]), ['c2'], 'a merge waits for both parents');
  t.deepEqual(at([state('p', { finished: true }), state('c1', { finished: true }), state('c2', { finished: true })]), ['m']);
});

test('a parent whose state was cleaned up stays done as long as a descendant has state', (t) => {
  // p's and c1's and c2's states were deleted once their children had state
  const snapshot = snapshotOf(lineage, [state('m', { owner: 'a' })]);
  t.true(isDone(snapshot, 'p', false));
  t.true(isDone(snapshot, 'c1', false));
  t.deepEqual(readableShards(snapshot, false), ['m']);
});

test('a parent gone from the shard list (expired) does not block its child', (t) => {
  const shards = [shard('c1', { parentShardId: 'gone' })];
  t.deepEqual(readableShards(snapshotOf(shards, []), false), ['c1']);
});

test('with LATEST, closed shards whose lineage was never read are skipped, and their children start at LATEST', (t) => {
  const snapshot = snapshotOf(lineage, []);
  t.deepEqual(readableShards(snapshot, true), ['m']);
  t.false(inheritsReading(snapshot, 'm'));
  // but with TRIM_HORIZON the whole lineage is read, oldest first
  t.deepEqual(readableShards(snapshot, false), ['p']);
});

test('a child of a parent the group read starts at TRIM_HORIZON; so does a shard an earlier owner held', (t) => {
  const snapshot = snapshotOf(lineage, [state('p', { finished: true })]);
  t.true(inheritsReading(snapshot, 'c1'), 'parent read (even with no record): TRIM_HORIZON');
  t.false(inheritsReading(snapshotOf([shard('x')], []), 'x'), 'a shard nobody held: the initial position');
  t.true(inheritsReading(snapshotOf([shard('x')], [state('x', { owner: 'gone' })]), 'x'), 'held before, no checkpoint');
});

test('state left by a deleted stream of the same name is stale and not used', (t) => {
  const shards = [shard('s0', { startingSequenceNumber: '500' })];
  const old = snapshotOf(shards, [state('s0', { sequenceNumber: '120', finished: true })]);
  t.deepEqual(old.stale, ['s0']);
  t.deepEqual(readableShards(old, false), ['s0'], 'the new shard is read, though the old one finished');
  const tagged = snapshotOf(shards, [state('s0', { shardStart: '400', sequenceNumber: '900' })]);
  t.deepEqual(tagged.stale, ['s0'], 'a recorded shard start that differs marks it stale, whatever the sequence number');
  const current = snapshotOf(shards, [state('s0', { shardStart: '500', sequenceNumber: '900' })]);
  t.deepEqual(current.stale, []);
});

test('the leader may delete finished parents once every child has state, and stale states', (t) => {
  const shards = [...lineage, shard('x', { startingSequenceNumber: '500' })];
  const snapshot = snapshotOf(shards, [
    state('p', { finished: true }),
    state('c1', { finished: true }),
    state('c2', { owner: 'b' }),
    state('x', { sequenceNumber: '1' }),
  ]);
  t.deepEqual(removableStates(snapshot).sort(), ['p', 'x'], 'c1 waits for m to have state');
});
