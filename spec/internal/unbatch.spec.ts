import test from 'ava';
import { of, take } from 'rxjs';
import { unbatch } from '../../src/internal/unbatch.js';
import { testScheduler } from '../helpers/marbles.js';

test('arrays become their items in order, in the frame they came; empty arrays emit nothing; error and completion pass through', (t) => {
  const scheduler = testScheduler(t);
  scheduler.run(({ cold, expectObservable }) => {
    expectObservable(cold('a-b-c|', { a: [1, 2], b: [] as number[], c: [3] }).pipe(unbatch<number>())).toBe('(xy)z|', { x: 1, y: 2, z: 3 });
    expectObservable(cold('a-#', { a: [1] }, new Error('boom')).pipe(unbatch())).toBe('x-#', { x: 1 }, new Error('boom'));
  });
});

test('a subscriber that leaves in the middle of an array stops the loop: later items are not even read', (t) => {
  const batch = [1, 2, 3, 4];
  let reads = 0;
  Object.defineProperty(batch, 2, {
    get: () => {
      reads += 1;
      return 3;
    },
  });
  const seen: number[] = [];
  of(batch)
    .pipe(unbatch(), take(2))
    .subscribe((v) => seen.push(v));
  t.deepEqual(seen, [1, 2]);
  t.is(reads, 0);
});
