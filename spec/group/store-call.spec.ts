/** storeCall: the timeout and the operation name of every failure. */
import test from 'ava';
import { throwError } from 'rxjs';
import { StateStoreError, StreamNotFoundError } from '../../src/errors.js';
import { storeCall } from '../../src/group/store-call.js';
import { testScheduler } from '../helpers/marbles.js';

test('a call is made on subscription, and one that does not answer within the time fails as a retriable error of its operation', (t) => {
  const scheduler = testScheduler(t);
  scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
    const call = storeCall(300, scheduler);
    const slow = cold('299ms (a|)');
    const hung = cold('301ms (a|)');
    expectObservable(call('getShards', () => slow)).toBe('299ms (a|)');
    expectObservable(call('listShardStates', () => hung)).toBe(
      '300ms #',
      undefined,
      new StateStoreError('listShardStates', 'no answer within 300 ms', { retriable: true }),
    );
    expectSubscriptions(hung.subscriptions).toBe('^ 299ms !');
  });
});

test('a failure that is not a library error is named after the operation; a library error passes unchanged', (t) => {
  const scheduler = testScheduler(t);
  const call = storeCall(300, scheduler);
  const errors: unknown[] = [];
  const notFound = new StreamNotFoundError('s');
  call('updateShards', () => throwError(() => new Error('boom'))).subscribe({ error: (e: unknown) => errors.push(e) });
  call('updateShards', () => throwError(() => notFound)).subscribe({ error: (e: unknown) => errors.push(e) });
  call('updateShards', () => Promise.reject(new Error('late'))).subscribe({ error: (e: unknown) => errors.push(e) });
  return new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
    t.true(errors[0] instanceof StateStoreError);
    t.is((errors[0] as StateStoreError).operation, 'updateShards');
    t.is((errors[0] as StateStoreError).message, 'State store updateShards failed: Error: boom');
    t.true((errors[0] as StateStoreError).retriable);
    t.is(errors[1], notFound);
    t.is((errors[2] as StateStoreError).message, 'State store updateShards failed: Error: late');
  });
});
