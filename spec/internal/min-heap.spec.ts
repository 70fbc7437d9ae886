import test from 'ava';
import { MinHeap } from '../../src/internal/min-heap.js';

test('pops in ascending order whatever the push order, ties as compare says, then undefined', (t) => {
  // a fixed pseudo-random sequence (no Math.random: the test repeats exactly)
  let x = 12345;
  const values = Array.from({ length: 500 }, () => ((x = (x * 1103515245 + 12345) % 2 ** 31), x % 97));
  const heap = new MinHeap<number>((a, b) => a - b);
  for (const v of values) heap.push(v);
  t.is(heap.size, 500);
  const out: number[] = [];
  for (let v = heap.pop(); v !== undefined; v = heap.pop()) out.push(v);
  t.deepEqual(out, [...values].sort((a, b) => a - b));
  t.is(heap.pop(), undefined);
});

test('pushes between pops keep the least on top', (t) => {
  const heap = new MinHeap<[number, string]>((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  heap.push([2, 'b']);
  heap.push([1, 'z']);
  heap.push([1, 'a']);
  t.deepEqual(heap.pop(), [1, 'a']);
  heap.push([0, 'q']);
  t.deepEqual(heap.pop(), [0, 'q']);
  t.deepEqual(heap.pop(), [1, 'z']);
  t.deepEqual(heap.pop(), [2, 'b']);
  t.is(heap.size, 0);
});
