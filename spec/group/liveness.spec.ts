/** Liveness: stale, regain and the watchdog, on virtual time (clientTimeout 3000 ms). */
import test from 'ava';
import { Liveness } from '../../src/group/liveness.js';
import { testScheduler } from '../helpers/marbles.js';

test('a client is stale before its first heartbeat and from clientTimeout after its last one', (t) => {
  const liveness = new Liveness(3000, testScheduler(t));
  t.true(liveness.isStale(0));
  liveness.wrote(1000);
  t.false(liveness.isStale(1000));
  t.false(liveness.isStale(3999));
  t.true(liveness.isStale(4000));
});

test('a heartbeat clientTimeout or more after the one before is a regain: for two clientTimeouts it regains, from the beat before the gap', (t) => {
  const liveness = new Liveness(3000, testScheduler(t));
  // given beats 2999 ms apart (no gap) and the first beat ever (nothing lost)
  liveness.wrote(0);
  liveness.wrote(2999);
  t.false(liveness.isRegaining(2999));
  // when the next beat is written 3000 ms after the last one
  liveness.wrote(5999);
  // then it regains until 11999, from the beat of 2999
  t.is(liveness.lostAt, 2999);
  t.true(liveness.isRegaining(5999));
  t.true(liveness.isRegaining(11_998));
  t.false(liveness.isRegaining(11_999));
  // and a later beat on time changes none of that
  liveness.wrote(7000);
  t.is(liveness.lostAt, 2999);
  t.true(liveness.isRegaining(11_998));
  t.false(liveness.isRegaining(11_999));
});

test('a regain counts from when its heartbeat landed: one sent in the outage that lands as the store comes back regains from the landing', (t) => {
  const scheduler = testScheduler(t);
  scheduler.run(() => {
    const liveness = new Liveness(3000, scheduler);
    scheduler.schedule(() => liveness.wrote(0), 0);
    // a heartbeat sent at 4000, while the store was out of reach, lands at 6500
    scheduler.schedule(() => liveness.wrote(4000), 6500);
    scheduler.schedule(() => {
      t.is(liveness.lostAt, 0);
      // two clientTimeouts from the landing, not from 4000
      t.true(liveness.isRegaining(12_499));
      t.false(liveness.isRegaining(12_500));
    }, 7000);
  });
});

test('the watchdog fires clientTimeout after the last written heartbeat, and each heartbeat restarts it', (t) => {
  const scheduler = testScheduler(t);
  scheduler.run(({ expectObservable }) => {
    const liveness = new Liveness(3000, scheduler);
    for (const at of [0, 1000, 2000]) scheduler.schedule(() => liveness.wrote(at), at);
    // a write that lands late (at 9000, for a heartbeat of 5000) is overdue at once
    scheduler.schedule(() => liveness.wrote(5000), 9000);
    expectObservable(liveness.expired$, '^ 10000ms !').toBe('5000ms a 3999ms b', { a: 5000, b: 9000 });
  });
});
