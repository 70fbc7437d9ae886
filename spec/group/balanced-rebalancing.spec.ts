/**
 * The 'balanced' assignment end to end on virtual time: the owners publish each shard's
 * throughput in their heartbeats, and the group moves load, not shard counts. In-memory store and
 * the test kit's FakeKinesis; syncInterval 5000 ms.
 */
import test from 'ava';
import { createKinesumer, type Kinesumer } from '../../src/index.js';
import { silentLogger } from '../../src/logger.js';
import { MemoryStateStore } from '../../src/state-store/memory-state-store.js';
import { fakeKinesis, putOn } from '../helpers/kit.js';
import { testScheduler } from '../helpers/marbles.js';

const S = (i: number) => `shardId-${String(i).padStart(12, '0')}`;

test('a hot shard ends up alone on one client and the cold ones on the other; then nothing moves', (t) => {
  const scheduler = testScheduler(t);
  const takes: string[] = [];
  scheduler.run(({ expectSubscriptions }) => {
    const kinesis = fakeKinesis(scheduler, { s: 4 });
    const store = new MemoryStateStore();
    const members: Kinesumer[] = ['a', 'b'].map((id) =>
      createKinesumer({ app: 'app', clientId: id, kinesis, stateStore: store, scheduler, initialPosition: 'TRIM_HORIZON', logger: silentLogger, group: { assignment: 'balanced' } }),
    );
    for (const m of members) {
      m.consume(['s']).subscribe();
      m.events$.subscribe((e) => e.type === 'shardAcquired' && takes.push(`${scheduler.now()} ${m.clientId} ${e.shardId}`));
    }
    // given shard 0 carries 40 records a second and the others 1 each, for 3 minutes
    for (let s = 1; s <= 180; s++) scheduler.schedule(() => [0, 1, 2, 3].forEach((shard) => putOn(kinesis, 's', shard, shard === 0 ? 40 : 1, s * 100)), s * 1000);
    scheduler.schedule(() => members.forEach((m) => void m.close()), 180_000);

    // then: a takes everything at 0 (its first round sees it alone) and publishes the rates in its
    // heartbeat at 5000, before its round there gives b shard 0 alone (the one move that evens the
    // load most); at 10000 b's rate of shard 0 is not published yet, so nobody moves anything on a
    // guess; from then on every round computes the same and nothing moves
    expectSubscriptions(kinesis.readers('s', S(0))).toBe(['^ 4999ms !', '5000ms ^ 174999ms !']);
    expectSubscriptions(kinesis.readers('s', S(1))).toBe('^ 179999ms !');
    expectSubscriptions(kinesis.readers('s', S(2))).toBe('^ 179999ms !');
    expectSubscriptions(kinesis.readers('s', S(3))).toBe('^ 179999ms !');
  });
  t.deepEqual(takes.slice(4), [`5000 b ${S(0)}`]);
});
