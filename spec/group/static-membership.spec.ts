/**
 * Static membership (`group.staticMembership` with a stable `clientId`) on virtual time: close()
 * keeps the member's shards reserved for its id until `clientTimeout` after its last heartbeat,
 * a restart under that id resumes them at once, and a member that does not come back is taken
 * over as after a crash. In-memory store and the test kit's FakeKinesis; syncInterval 5000 ms,
 * clientTimeout 10000 ms.
 */
import test from 'ava';
import type { TestScheduler } from 'rxjs/testing';
import { createKinesumer, processRecords, type Kinesumer, type KinesumerRecord } from '../../src/index.js';
import { silentLogger } from '../../src/logger.js';
import { MemoryStateStore } from '../../src/state-store/memory-state-store.js';
import { fakeKinesis, putOn } from '../helpers/kit.js';
import { testScheduler } from '../helpers/marbles.js';

const S = (i: number) => `shardId-${String(i).padStart(12, '0')}`;
type Kit = ReturnType<typeof fakeKinesis>;

function member(scheduler: TestScheduler, id: string, store: MemoryStateStore, kinesis: Kit, staticMembership: boolean): Kinesumer {
  return createKinesumer({ app: 'app', clientId: id, kinesis, stateStore: store, initialPosition: 'TRIM_HORIZON', scheduler, logger: silentLogger, group: { staticMembership } });
}

/** Starts `m` with a handler that records what it processed, by member id. */
function start(m: Kinesumer, processed: string[]): void {
  m.consume(['s']).pipe(processRecords(m, (r: KinesumerRecord) => void processed.push(new TextDecoder().decode(r.data)))).subscribe();
}

test('a static member restarted under its id within clientTimeout moves nothing and repeats no record', (t) => {
  const scheduler = testScheduler(t);
  const processed: string[] = [];
  scheduler.run(({ expectSubscriptions }) => {
    const kinesis = fakeKinesis(scheduler, { s: 4 });
    const store = new MemoryStateStore();
    const a = member(scheduler, 'a', store, kinesis, true);
    const b = member(scheduler, 'b', store, kinesis, true);
    start(a, processed);
    start(b, processed);
    [0, 1, 2, 3].forEach((shard) => putOn(kinesis, 's', shard, 2, shard * 10));
    // when b (shards 2 and 3 since 5000) is stopped at 21000 and started again as b at 27000
    scheduler.schedule(() => void b.close(), 21_000);
    let again: Kinesumer | undefined;
    scheduler.schedule(() => start((again = member(scheduler, 'b', store, kinesis, true)), processed), 27_000);
    scheduler.schedule(() => [2, 3].forEach((shard) => putOn(kinesis, 's', shard, 1, 100 + shard)), 29_000);
    scheduler.schedule(() => [a, again!].forEach((m) => void m.close()), 40_000);

    // then a never reads 2 or 3 in between, and b reads them again from its first round at 27000
    const r = (i: number) => expectSubscriptions(kinesis.readers('s', S(i)));
    r(0).toBe('^ 39999ms !');
    r(1).toBe('^ 39999ms !');
    r(2).toBe(['^ 4999ms !', '5000ms ^ 15999ms !', '27000ms ^ 12999ms !']);
    r(3).toBe(['^ 4999ms !', '5000ms ^ 15999ms !', '27000ms ^ 12999ms !']);
  });
  // every record once: the restart resumed after what the first b committed on close
  t.deepEqual([...processed].sort(), ['record 0', 'record 1', 'record 10', 'record 102', 'record 103', 'record 11', 'record 20', 'record 21', 'record 30', 'record 31']);
});

test('a static member that does not come back is taken over after clientTimeout from its last heartbeat', (t) => {
  const scheduler = testScheduler(t);
  scheduler.run(({ expectSubscriptions }) => {
    const kinesis = fakeKinesis(scheduler, { s: 4 });
    const store = new MemoryStateStore();
    const a = member(scheduler, 'a', store, kinesis, true);
    const b = member(scheduler, 'b', store, kinesis, true);
    a.consume(['s']).subscribe();
    b.consume(['s']).subscribe();
    // when b closes at 21000 (its last heartbeat, written by the close) and never returns
    scheduler.schedule(() => void b.close(), 21_000);
    scheduler.schedule(() => void a.close(), 50_000);

    // then at a's first round after 31000 (when b's heartbeat is clientTimeout old), a takes 2 and 3
    expectSubscriptions(kinesis.readers('s', S(2))).toBe(['^ 4999ms !', '5000ms ^ 15999ms !', '35000ms ^ 14999ms !']);
    expectSubscriptions(kinesis.readers('s', S(3))).toBe(['^ 4999ms !', '5000ms ^ 15999ms !', '35000ms ^ 14999ms !']);
    expectSubscriptions(kinesis.readers('s', S(0))).toBe('^ 49999ms !');
  });
});

test('without static membership, close() hands the shards over at the next sync of the others', (t) => {
  const scheduler = testScheduler(t);
  scheduler.run(({ expectSubscriptions }) => {
    const kinesis = fakeKinesis(scheduler, { s: 4 });
    const store = new MemoryStateStore();
    const a = member(scheduler, 'a', store, kinesis, false);
    const b = member(scheduler, 'b', store, kinesis, false);
    a.consume(['s']).subscribe();
    b.consume(['s']).subscribe();
    scheduler.schedule(() => void b.close(), 21_000);
    scheduler.schedule(() => void a.close(), 50_000);
    expectSubscriptions(kinesis.readers('s', S(2))).toBe(['^ 4999ms !', '5000ms ^ 15999ms !', '25000ms ^ 24999ms !']);
  });
});
