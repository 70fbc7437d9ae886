/** The follower's cache of snapshots, and when it must read anyway. */
import test from 'ava';
import { FULL_READ_EVERY, FollowerCache } from '../../src/group/follower-cache.js';
import type { StreamSnapshot } from '../../src/group/shard-lineage.js';
import { snapshotDigest } from '../../src/group/snapshot-digest.js';

const snapshot: StreamSnapshot = { shards: [{ id: 'shardId-0', closed: false }], states: new Map() };
const digest = snapshotDigest(snapshot);

test('a stream read before is reused while the leader digest matches, FULL_READ_EVERY rounds in a row, then read again', (t) => {
  const cache = new FollowerCache();
  t.is(cache.reuse('s', digest, false), undefined, 'nothing read yet');
  cache.remember('s', snapshot);
  for (let i = 0; i < FULL_READ_EVERY; i++) t.is(cache.reuse('s', digest, false), snapshot, `round ${i + 1}`);
  t.is(cache.reuse('s', digest, false), undefined);
  // reading again starts the count again
  cache.remember('s', snapshot);
  t.is(cache.reuse('s', digest, false), snapshot);
});

test('a stream is read when the leader digest differs or is missing, when the round reads everything, and after a failed read', (t) => {
  const cache = new FollowerCache();
  cache.remember('s', snapshot);
  t.is(cache.reuse('s', 'other', false), undefined);
  t.is(cache.reuse('s', undefined, false), undefined);
  t.is(cache.reuse('s', digest, true), undefined);
  t.is(cache.reuse('t', digest, false), undefined);
  t.is(cache.reuse('s', digest, false), snapshot);
  cache.remember('s', undefined);
  t.is(cache.reuse('s', digest, false), undefined);
  cache.remember('s', snapshot);
  cache.remember('s', null);
  t.is(cache.reuse('s', digest, false), undefined);
});

test('of streams due by their count of rounds, one is read a round; a changed digest is always read', (t) => {
  const cache = new FollowerCache();
  for (const stream of ['a', 'b', 'c']) cache.remember(stream, snapshot);
  for (let i = 0; i < FULL_READ_EVERY; i++) {
    cache.startRound();
    for (const stream of ['a', 'b', 'c']) t.is(cache.reuse(stream, digest, false), snapshot);
  }
  // all three are due now: a is read, b and c wait a round each
  const rounds = [0, 1, 2].map(() => {
    cache.startRound();
    const read = ['a', 'b', 'c'].filter((stream) => cache.reuse(stream, digest, false) === undefined);
    for (const stream of read) cache.remember(stream, snapshot);
    return read;
  });
  t.deepEqual(rounds, [['a'], ['b'], ['c']]);
  // a changed digest does not wait for the one read of the round
  for (let i = 0; i <= FULL_READ_EVERY; i++) cache.reuse('a', digest, false);
  cache.startRound();
  t.is(cache.reuse('a', digest, false), undefined, 'due');
  t.is(cache.reuse('b', 'changed', false), undefined, 'changed');
});
