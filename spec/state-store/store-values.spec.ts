/** The values both stores hand out (store-values.ts): one order, and no `undefined` fields. */
import test from 'ava';
import { byClientId, byShardId, cachedShardOf, compareStrings, shardStateOf, withoutUndefined } from '../../src/state-store/store-values.js';

const at = (ms: number): Date => new Date(Date.UTC(2024, 2, 1) + ms);

const orders: [a: string, b: string, sign: number][] = [
  ['a', 'b', -1],
  ['b', 'a', 1],
  ['a', 'a', 0],
  ['B', 'a', -1],
  ['a', 'ab', -1],
  ['shardId-000000000009', 'shardId-000000000010', -1],
  ['client-10', 'client-9', -1],
];

for (const [a, b, sign] of orders) {
  test(`compareStrings(${a}, ${b}) is ${sign}`, (t) => {
    t.is(Math.sign(compareStrings(a, b)), sign);
  });
}

test('byClientId and byShardId sort by those ids', (t) => {
  t.deepEqual([{ clientId: 'b' }, { clientId: 'a' }].sort(byClientId), [{ clientId: 'a' }, { clientId: 'b' }]);
  t.deepEqual([{ shardId: 'y' }, { shardId: 'x' }].sort(byShardId), [{ shardId: 'x' }, { shardId: 'y' }]);
});

test('withoutUndefined drops only the undefined fields', (t) => {
  const value = withoutUndefined({ a: undefined, b: null, c: 0, d: false, e: '' });
  t.deepEqual(value, { b: null, c: 0, d: false, e: '' });
  t.false('a' in value);
});

test('shardStateOf keeps the known fields that are set', (t) => {
  const lastUpdate = at(1);
  const state = shardStateOf({ shardId: 'x', sequenceNumber: undefined, owner: 'a', finished: false, lastUpdate, extra: 1 } as never);
  t.deepEqual(state, { shardId: 'x', owner: 'a', finished: false, lastUpdate });
});

test('cachedShardOf keeps the known fields that are set', (t) => {
  t.deepEqual(cachedShardOf({ id: 'x', closed: true, parentShardId: 'p', adjacentParentShardId: undefined, extra: 1 } as never), {
    id: 'x',
    closed: true,
    parentShardId: 'p',
  });
});
