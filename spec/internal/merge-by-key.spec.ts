import test from 'ava';
import { Observable, concat, of, NEVER, take } from 'rxjs';
import { mergeByKey } from '../../src/internal/merge-by-key.js';
import { testScheduler } from '../helpers/marbles.js';

test('keys that stay keep their subscription; a removed key is unsubscribed and reported; completion ends all', (t) => {
  const scheduler = testScheduler(t);
  const removed: string[] = [];
  scheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
    const a = cold('-a-a-a-a-a-a');
    const b = cold('--b--b--b--b');
    const inners: Record<string, Observable<string>> = { a, b };
    const keys = hot('x---y---z---|', { x: ['a'], y: ['a', 'b'], z: ['b'] });
    const out = keys.pipe(mergeByKey((k: string) => inners[k]!, (k) => removed.push(k)));
    // the output completes with the key source (the group stopped), tearing every inner down
    expectObservable(out).toBe('-a-a-aba-b--|');
    expectSubscriptions(a.subscriptions).toBe('^-------!');
    expectSubscriptions(b.subscriptions).toBe('----^-------!');
  });
  t.deepEqual(removed, ['a', 'b']);
});

test('an inner Observable that emits synchronously is torn down when the subscriber leaves during that emission', (t) => {
  let tornDown = 0;
  const syncThenForever = new Observable<number>((subscriber) => {
    subscriber.next(1);
    subscriber.next(2);
    return () => (tornDown += 1);
  });
  const values: number[] = [];
  concat(of(['k']), NEVER)
    .pipe(
      mergeByKey(() => syncThenForever),
      take(1),
    )
    .subscribe((v) => values.push(v));
  t.deepEqual(values, [1]);
  t.is(tornDown, 1);
});

test('an inner Observable that completes stays counted: the same key does not start it again', (t) => {
  let starts = 0;
  const finished = new Observable<string>((subscriber) => {
    starts += 1;
    subscriber.complete();
  });
  concat(of(['k'], ['k', 'j'], ['k']), NEVER)
    .pipe(mergeByKey(() => finished))
    .subscribe()
    .unsubscribe();
  t.is(starts, 2); // k once, j once
});
