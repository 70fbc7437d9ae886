/** Tasks of one lane never overlap, and each runs at most once. */
import test from 'ava';
import { concat, defer, ignoreElements, of, throwError, timer } from 'rxjs';
import { SingleFlight, runOnce } from '../../src/internal/single-flight.js';
import { testScheduler } from '../helpers/marbles.js';

test('a task asked for while another runs starts when it ends, and reads the state of that moment', (t) => {
  const scheduler = testScheduler(t);
  const started: Array<[string, number, number]> = [];
  let state = 0;
  scheduler.run(({ expectObservable }) => {
    const lane = new SingleFlight();
    const task = (name: string, ms: number) => () =>
      defer(() => {
        started.push([name, scheduler.now(), state]);
        return timer(ms, scheduler).pipe(ignoreElements());
      });
    expectObservable(lane.run(task('first', 10))).toBe('10ms |');
    scheduler.schedule(() => (state = 1), 5);
    scheduler.schedule(() => lane.run(task('second', 10)).subscribe(), 3);
  });
  t.deepEqual(started, [
    ['first', 0, 0],
    ['second', 10, 1],
  ]);
});

test('a failed task fails its subscribers but does not hold the next one back', (t) => {
  const scheduler = testScheduler(t);
  scheduler.run(({ expectObservable }) => {
    const lane = new SingleFlight();
    const failing = lane.run(() => concat(timer(5, scheduler).pipe(ignoreElements()), throwError(() => 'boom')));
    const next = lane.run(() => timer(5, scheduler).pipe(ignoreElements()));
    expectObservable(failing).toBe('5ms #', undefined, 'boom');
    expectObservable(next).toBe('10ms |');
  });
});

test('runOnce: a late subscriber gets the completion instead of running the source again', (t) => {
  let runs = 0;
  const once = defer(() => {
    runs += 1;
    return of(runs);
  }).pipe(runOnce());
  const seen: number[] = [];
  once.subscribe((v) => seen.push(v));
  once.subscribe((v) => seen.push(v));
  t.is(runs, 1);
  t.deepEqual(seen, [1]);
});
