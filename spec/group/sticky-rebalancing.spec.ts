/**
 * Marble tests of a join and a leave under the 'sticky' assignment (the default), on the public
 * test kit's FakeKinesis and the in-memory store, on virtual time (syncInterval 5000 ms,
 * clientTimeout 10000 ms). Each shard's reader lifetime is a subscription of `kinesis.readers`:
 * `^` where a member started reading it, `!` where it stopped.
 */
import test from 'ava';
import type { TestScheduler } from 'rxjs/testing';
import { createKinesumer, type Kinesumer } from '../../src/index.js';
import { silentLogger } from '../../src/logger.js';
import { MemoryStateStore } from '../../src/state-store/memory-state-store.js';
import { fakeKinesis } from '../helpers/kit.js';
import { testScheduler } from '../helpers/marbles.js';

const S = (i: number) => `shardId-${String(i).padStart(12, '0')}`;

function member(scheduler: TestScheduler, id: string, store: MemoryStateStore, kinesis: ReturnType<typeof fakeKinesis>): Kinesumer {
  return createKinesumer({ app: 'app', clientId: id, kinesis, stateStore: store, initialPosition: 'TRIM_HORIZON', scheduler, logger: silentLogger });
}

/** Members `ids` on one store and a 12-shard stream; every member consumes from frame `startAt[id]` (default 0). */
function group(scheduler: TestScheduler, ids: string[], startAt: Record<string, number> = {}) {
  const kinesis = fakeKinesis(scheduler, { s: 12 });
  const store = new MemoryStateStore();
  const members = Object.fromEntries(ids.map((id) => [id, member(scheduler, id, store, kinesis)]));
  for (const id of ids) scheduler.schedule(() => members[id]!.consume(['s']).subscribe(), startAt[id] ?? 0);
  return { kinesis, members };
}

// Starting together, a takes all 12 shards in frame 0 (its first round sees it alone); at the
// rounds of 5000 the others' share moves: a keeps 0..3, b, c (and d) get the rest.

test('a 4th member joins 3 on 12 shards: exactly 3 shards stop at the next sync of their owners and start on the newcomer in that frame', (t) => {
  const scheduler = testScheduler(t);
  scheduler.run(({ expectSubscriptions }) => {
    const { kinesis, members } = group(scheduler, ['a', 'b', 'c', 'd'], { d: 31_000 });
    scheduler.schedule(() => Object.values(members).forEach((m) => void m.close()), 60_000);

    // then: d asks for shard 3 (from a), 10 and 11 (from b and c) from its first round at 31000;
    // their owners hand them over at their rounds at 35000 and d takes them in that frame
    const r = (i: number) => expectSubscriptions(kinesis.readers('s', S(i)));
    for (const i of [0, 1, 2]) r(i).toBe('^ 59999ms !');
    r(3).toBe(['^ 34999ms !', '35000ms ^ 24999ms !']);
    for (const i of [4, 5, 6, 7, 8, 9]) r(i).toBe(['^ 4999ms !', '5000ms ^ 54999ms !']);
    for (const i of [10, 11]) r(i).toBe(['^ 4999ms !', '5000ms ^ 29999ms !', '35000ms ^ 24999ms !']);
  });
});

test('1 of 4 members leaves on 12 shards: only its 3 shards stop, and start one on each survivor at their next sync', (t) => {
  const scheduler = testScheduler(t);
  const owned: Record<string, string[]> = {};
  scheduler.run(({ expectSubscriptions }) => {
    const { kinesis, members } = group(scheduler, ['a', 'b', 'c', 'd']);
    // when c (shards 3, 6 and 9 since 5000) closes at 31000: it releases them and deregisters
    scheduler.schedule(() => void members['c']!.close(), 31_000);
    scheduler.schedule(() => Object.values(members).forEach((m) => void m.close()), 60_000);
    for (const [id, m] of Object.entries(members)) m.owned$.subscribe((o) => (owned[id] = o['s'] ?? owned[id] ?? []));
    scheduler.schedule(() => Object.keys(members).forEach((id) => (owned[id] = members[id]!.metricsSnapshot().shards.map((s) => s.shardId))), 59_999);

    // then the survivors, at their rounds at 35000, take one each; nothing else restarts
    const r = (i: number) => expectSubscriptions(kinesis.readers('s', S(i)));
    for (const i of [0, 1, 2]) r(i).toBe('^ 59999ms !');
    for (const i of [3, 6, 9]) r(i).toBe(['^ 4999ms !', '5000ms ^ 25999ms !', '35000ms ^ 24999ms !']);
    for (const i of [4, 5, 7, 8, 10, 11]) r(i).toBe(['^ 4999ms !', '5000ms ^ 54999ms !']);
  });
  // each survivor took exactly one of c's shards
  for (const id of ['a', 'b', 'd']) t.is(owned[id]!.filter((s) => [S(3), S(6), S(9)].includes(s)).length, 1, id);
});
