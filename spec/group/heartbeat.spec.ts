/** One heartbeat and the heartbeat clock, on virtual time (a write may take at most 3000 ms). */
import test from 'ava';
import { of, throwError } from 'rxjs';
import type { KinesumerError } from '../../src/errors.js';
import { heartbeat, heartbeatClock } from '../../src/group/heartbeat.js';
import { Liveness } from '../../src/group/liveness.js';
import { storeCall } from '../../src/group/store-call.js';
import { testScheduler } from '../helpers/marbles.js';

test('a heartbeat emits once when written, whatever the write emitted, and tells the liveness', (t) => {
  const scheduler = testScheduler(t);
  const liveness = new Liveness(3000, scheduler);
  scheduler.run(({ cold, expectObservable }) => {
    const beat = heartbeat({ operation: 'heartbeat', write: () => cold('10ms a 9ms b 9ms |'), call: storeCall(3000, scheduler), liveness, report: () => t.fail() });
    scheduler.schedule(() => t.true(liveness.isStale(100)), 29);
    scheduler.schedule(() => t.false(liveness.isStale(100)), 31);
    expectObservable(beat(100)).toBe('30ms (a|)', { a: undefined });
  });
});

test('a failed heartbeat is reported under its operation and emits once all the same; the liveness is not told', (t) => {
  const scheduler = testScheduler(t);
  const liveness = new Liveness(3000, scheduler);
  const reports: KinesumerError[] = [];
  scheduler.run(({ cold, expectObservable }) => {
    const call = storeCall(3000, scheduler);
    const failing = heartbeat({ operation: 'pingClient', write: () => throwError(() => new Error('down')), call, liveness, report: (e) => reports.push(e) });
    const hanging = heartbeat({ operation: 'heartbeat', write: () => cold('-'), call, liveness, report: (e) => reports.push(e) });
    expectObservable(failing(0)).toBe('(a|)', { a: undefined });
    expectObservable(hanging(0)).toBe('3000ms (a|)', { a: undefined });
  });
  t.deepEqual(reports.map((e) => e.message), ['State store pingClient failed: Error: down', 'State store heartbeat failed: no answer within 3000 ms']);
  t.true(liveness.isStale(0));
});

test('the clock beats at once and every interval, one beat at a time: ticks during a slow beat are dropped', (t) => {
  const scheduler = testScheduler(t);
  scheduler.run(({ cold, expectObservable }) => {
    const started: number[] = [];
    const beat = (at: number) => {
      started.push(at);
      return at === 0 ? cold('1500ms (a|)', { a: undefined }) : of(undefined);
    };
    expectObservable(heartbeatClock(beat, 1000, scheduler), '^ 3500ms !').toBe('1500ms a 499ms b 999ms c', { a: undefined, b: undefined, c: undefined });
    scheduler.schedule(() => t.deepEqual(started, [0, 2000, 3000]), 3500);
  });
});
