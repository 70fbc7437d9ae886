/**
 * Followers skip reading a stream's shard list and shard states while their snapshot matches the
 * digest the leader publishes in its heartbeat: marble tests of which rounds read, on virtual
 * time, with two members on one in-memory store (default timings: a round every 5000 ms).
 */
import test from 'ava';
import { createKinesumer, type Kinesumer } from '../../src/index.js';
import { MemoryStateStore } from '../../src/state-store/memory-state-store.js';
import type { StateStore } from '../../src/state-store/state-store.js';
import { FakeKinesis, openShards } from '../helpers/fake-kinesis.js';
import { testScheduler } from '../helpers/marbles.js';
import type { TestScheduler } from 'rxjs/testing';

const S = (i: number) => `shardId-${String(i).padStart(12, '0')}`;

function member(scheduler: TestScheduler, id: string, store: StateStore, kinesis: FakeKinesis, assignment: 'sticky' | 'kinesumer'): Kinesumer {
  return createKinesumer({ app: 'app', clientId: id, kinesis, stateStore: store, initialPosition: 'TRIM_HORIZON', scheduler, group: { assignment } });
}

/** `store` with its shard-list and shard-state reads logged as frames, and without `listGroup` when asked. */
function readsOf(store: MemoryStateStore, now: () => number, options: { listGroup?: boolean } = {}): { store: StateStore; reads: number[] } {
  const reads: number[] = [];
  const wrapped = Object.create(store) as StateStore;
  wrapped.listShardStates = (app, stream) => {
    reads.push(now());
    return store.listShardStates(app, stream);
  };
  if (options.listGroup === false) (wrapped as { listGroup?: unknown }).listGroup = undefined;
  return { store: wrapped, reads };
}

/**
 * Leader a from frame 0 and follower b from 1000 on one store, both closed at `closeAt`; returns
 * the frames at which b read shard states (filled in as the scheduler runs).
 */
function leaderAndFollower(
  scheduler: TestScheduler,
  kinesis: FakeKinesis,
  closeAt: number,
  options: { listGroup?: boolean; assignment?: 'sticky' | 'kinesumer' } = {},
): number[] {
  const store = new MemoryStateStore();
  const follower = readsOf(store, () => scheduler.now(), options);
  const a = member(scheduler, 'a', store, kinesis, options.assignment ?? 'sticky');
  const b = member(scheduler, 'b', follower.store, kinesis, options.assignment ?? 'sticky');
  a.consume(['s']).subscribe();
  scheduler.schedule(() => b.consume(['s']).subscribe(), 1000);
  scheduler.schedule(() => [a, b].forEach((m) => void m.close()), closeAt);
  return follower.reads;
}

test('a follower reads shard states until its snapshot matches the leader digest, then once in 13 rounds', (t) => {
  const scheduler = testScheduler(t);
  let reads: number[] = [];
  scheduler.run((helpers) => {
    reads = leaderAndFollower(scheduler, new FakeKinesis(helpers, () => scheduler.now(), { s: openShards(4) }), 140_000);
  });
  // b reads at its first round (1000): a took every shard at 0, after its own first round, so
  // its digest at 0 predates those states; at 5000 a hands shards 2 and 3 to b, whose takes
  // change their owners (in the digest: the sticky assignment depends on them), so b reads once
  // more at 11000; from then on the digests match, and b reads again only every 13th round
  t.deepEqual(reads, [1000, 11_000, 11_000 + 13 * 5000]);
});

test('a follower reads again within two rounds of a change of the shard list', (t) => {
  const scheduler = testScheduler(t);
  let reads: number[] = [];
  scheduler.run((helpers) => {
    const kinesis = new FakeKinesis(helpers, () => scheduler.now(), { s: openShards(4) });
    reads = leaderAndFollower(scheduler, kinesis, 60_000, { assignment: 'kinesumer' });
    // a fifth shard at 32000: leader a caches it at its round at 35000 and publishes a new digest
    scheduler.schedule(() => (kinesis.shards = { s: openShards(5) }), 32_000);
    // b's round at 36000 reads, sees shard 4 and takes its half: it reads shard 4 from then on
    helpers.expectSubscriptions(kinesis.iterator('s', S(4)).subscriptions).toBe('36000ms ^ 23999ms !');
  });
  // and once more at 41000: b's own acquisition of shard 4 created its state, which the leader's
  // digest at 40000 includes; before, only at 11000, after the first handoff changed owners
  t.deepEqual(reads, [1000, 11_000, 36_000, 41_000]);
});

test('with a store without listGroup, a follower reads every round', (t) => {
  const scheduler = testScheduler(t);
  let reads: number[] = [];
  scheduler.run((helpers) => {
    reads = leaderAndFollower(scheduler, new FakeKinesis(helpers, () => scheduler.now(), { s: openShards(2) }), 40_000, { listGroup: false });
  });
  t.deepEqual(reads, [1000, 6000, 11_000, 16_000, 21_000, 26_000, 31_000, 36_000]);
});
