/**
 * `owned$` against `assignment$`: the target can name a shard this client does not hold (yet, or
 * any more); `owned$` changes only when a take, a release or a loss happens.
 */
import test from 'ava';
import { switchMap } from 'rxjs';
import { checkpoint } from '../../src/checkpoint/checkpoint.js';
import { createKinesumer } from '../../src/consumer/create-kinesumer.js';
import { silentLogger } from '../../src/logger.js';
import { MemoryStateStore } from '../../src/state-store/memory-state-store.js';
import { FakeKinesis } from '../../src/testing/fake-kinesis.js';
import { testScheduler } from '../helpers/marbles.js';

const S0 = 'shardId-000000000000';
const S1 = 'shardId-000000000001';

test('a lost shard leaves owned$ in the frame the loss is noticed, and comes back when it is taken again; the target never changes', (t) => {
  const scheduler = testScheduler(t);
  scheduler.run(({ expectObservable, expectSubscriptions }) => {
    const kinesis = new FakeKinesis({ scheduler });
    kinesis.createStream('s', { shards: 1 });
    const store = new MemoryStateStore();
    // kinesumer's slices: the target of a, first of two clients, keeps the one shard whoever holds it
    const a = createKinesumer({ app: 'app', clientId: 'a', kinesis, stateStore: store, scheduler, logger: silentLogger, group: { assignment: 'kinesumer' } });
    a.consume(['s']).pipe(checkpoint(a)).subscribe();
    // given b takes the shard over in the store at 1500 ms (it counted a as dead) and stays
    // alive, while a processes a record that arrived at 1000 (its commit is a fenced write)
    scheduler.schedule(() => kinesis.putRecord('s', { partitionKey: 'k', data: 'x' }), 1000);
    scheduler.schedule(() => {
      store.pingClient('app', 'b', new Date(1500)).subscribe();
      store.acquireShard('app', 's', S0, { clientId: 'b', aliveSince: new Date(1500), shardStart: undefined, now: new Date(1500) }).subscribe();
    }, 1500);
    // when a's commit at 2000 ms finds the shard taken, and b frees it at 6000
    scheduler.schedule(() => void a.commit(), 2000);
    scheduler.schedule(() => store.releaseShard('app', 's', S0, 'b').subscribe(), 6000);
    scheduler.schedule(() => void a.close(), 9000);

    // then owned$ (which replays that a took the shard in frame 0) drops it at 2000 and has it
    // again from 6000, when a's reader restarts; the target names it throughout
    const held = { s: [S0] };
    expectObservable(a.owned$).toBe('a 1999ms b 3999ms c 2999ms (d|)', { a: held, b: {}, c: held, d: {} });
    expectObservable(a.assignment$).toBe('a 8999ms (b|)', { a: held, b: {} });
    expectSubscriptions(kinesis.readers('s', S0)).toBe(['^ 1999ms !', '6000ms ^ 2999ms !']);
  });
});

test('owned$ replays what is held to a late subscriber', (t) => {
  const scheduler = testScheduler(t);
  scheduler.run(({ expectObservable, cold }) => {
    const kinesis = new FakeKinesis({ scheduler });
    kinesis.createStream('s', { shards: 2 });
    const a = createKinesumer({ app: 'app', clientId: 'a', kinesis, stateStore: new MemoryStateStore(), scheduler, logger: silentLogger });
    a.consume(['s']).subscribe();
    scheduler.schedule(() => void a.close(), 5000);
    expectObservable(cold('1000ms (a|)').pipe(switchMap(() => a.owned$))).toBe('1000ms a 3999ms (bc|)', {
      a: { s: [S0, S1] },
      b: { s: [S1] },
      c: {},
    });
  });
});
