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
