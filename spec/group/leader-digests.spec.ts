/** The leader's digests: what its heartbeat carries, and when a heartbeat goes out for them at once. */
import test from 'ava';
import { LeaderDigests } from '../../src/group/leader-digests.js';
import type { StreamSnapshot } from '../../src/group/shard-lineage.js';
import { snapshotDigest } from '../../src/group/snapshot-digest.js';

const one: StreamSnapshot = { shards: [{ id: 'shardId-0', closed: false }], states: new Map() };
const two: StreamSnapshot = { shards: [{ id: 'shardId-0', closed: false }, { id: 'shardId-1', closed: false }], states: new Map() };

test('new digests are kept and announced; the same again, or leading no more, is not announced', (t) => {
  const digests = new LeaderDigests();
  let changes = 0;
  digests.changed$.subscribe(() => changes++);
  t.is(digests.current, undefined);
  digests.publish({ s: one });
  t.deepEqual(digests.current, { s: snapshotDigest(one) });
  t.is(changes, 1);
  digests.publish({ s: one });
  t.is(changes, 1);
  digests.publish({ s: two });
  t.deepEqual(digests.current, { s: snapshotDigest(two) });
  t.is(changes, 2);
  digests.publish(undefined);
  t.is(digests.current, undefined);
  t.is(changes, 2);
  // leading again with the digests of before is news to the followers
  digests.publish({ s: two });
  t.is(changes, 3);
});

test('a leader alone keeps new digests for its next heartbeat without announcing them; once followed, changes are announced', (t) => {
  const digests = new LeaderDigests();
  let changes = 0;
  digests.changed$.subscribe(() => changes++);
  digests.publish({ s: one }, false);
  t.deepEqual(digests.current, { s: snapshotDigest(one) });
  t.is(changes, 0);
  // a follower arrived; the digests are those its heartbeats carry already
  digests.publish({ s: one }, true);
  t.is(changes, 0);
  digests.publish({ s: two }, true);
  t.is(changes, 1);
  digests.publish({ s: one }, false);
  t.deepEqual(digests.current, { s: snapshotDigest(one) });
  t.is(changes, 1);
});
