import test from 'ava';
import { isObservable, retry, timer, map, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { MalformedItemError, StateStoreError, type KinesumerError } from '../../src/errors.js';
import { MemoryStateStore } from '../../src/state-store/memory-state-store.js';
import { at, checkpoint, run, shardId, stateStoreContract } from './contract.js';

stateStoreContract(test, 'memory', () => new MemoryStateStore());

/** The value an Observable emits during subscribe, or a marker when it emits nothing synchronously. */
function syncValue<T>(source: Observable<T>): T | 'nothing yet' {
  let value: T | 'nothing yet' = 'nothing yet';
  source.subscribe((v) => (value = v)).unsubscribe();
  return value;
}

test('memory: every method answers synchronously with an Observable', (t) => {
  const store = new MemoryStateStore();
  const ping = store.pingClient('app', 'a', at(1000));
  t.true(isObservable(ping));
  t.deepEqual(syncValue(store.listAliveClients('app', at(0))), [], 'nothing happens before subscribe');
  t.is(syncValue(ping), undefined);
  t.deepEqual(syncValue(store.listAliveClients('app', at(0))), ['a']);
  t.is(syncValue(store.updateShards('app', 's', [{ id: shardId(0), closed: false }])), undefined);
  t.deepEqual(syncValue(store.getShards('app', 's')), [{ id: shardId(0), closed: false }]);
  t.is(syncValue(store.updateCheckpoints('app', 's', [checkpoint(0, 1)])), undefined);
  t.deepEqual(syncValue(store.getCheckpoints('app', 's')), [checkpoint(0, 1)]);
  t.deepEqual(syncValue(store.pruneClients('app', at(5000))), ['a']);
  t.is(syncValue(store.deregisterClient('app', 'a')), undefined);
  t.is(syncValue(store.ready()), undefined);
});

test('memory: each subscription is a new call', (t) => {
  const store = new MemoryStateStore();
  const list$ = store.listAliveClients('app', at(0));
  t.deepEqual(syncValue(list$), []);
  syncValue(store.pingClient('app', 'a', at(1000)));
  t.deepEqual(syncValue(list$), ['a']);
});

test('memory: failNext fails the next N calls of that method only, then works again', async (t) => {
  const store = new MemoryStateStore();
  const boom = new StateStoreError('updateCheckpoints', 'throttled', { retriable: true });
  store.failNext('updateCheckpoints', boom, 2);

  await t.notThrowsAsync(run(store.getCheckpoints('app', 's')), 'other methods are unaffected');
  t.is(await t.throwsAsync(run(store.updateCheckpoints('app', 's', [checkpoint(0, 1)]))), boom);
  t.is(await t.throwsAsync(run(store.updateCheckpoints('app', 's', [checkpoint(0, 2)]))), boom);
  t.deepEqual(store.snapshot().checkpoints, {}, 'failed calls write nothing');
  await run(store.updateCheckpoints('app', 's', [checkpoint(0, 3)]));
  t.deepEqual(await run(store.getCheckpoints('app', 's')), [checkpoint(0, 3)]);
});

test('memory: queued failures of one method are used in order', async (t) => {
  const store = new MemoryStateStore();
  const first = new Error('first');
  const second = new Error('second');
  store.failNext('ready', first);
  store.failNext('ready', second, 1);
  store.failNext('ready', new Error('never'), 0);
  t.is(await t.throwsAsync(run(store.ready())), first);
  t.is(await t.throwsAsync(run(store.ready())), second);
  await t.notThrowsAsync(run(store.ready()));
});

test('memory: a retried call runs on virtual time (marble)', (t) => {
  const scheduler = new TestScheduler((actual, expected) => t.deepEqual(actual, expected));
  scheduler.run(({ expectObservable }) => {
    const store = new MemoryStateStore();
    store.failNext('listAliveClients', new StateStoreError('listAliveClients', 'throttled', { retriable: true }), 2);
    syncValue(store.pingClient('app', 'a', at(1000)));
    // two failures, each retried after 10 ms, then the answer
    const result$ = store.listAliveClients('app', at(0)).pipe(
      retry({ count: 3, delay: () => timer(10) }),
      map((ids) => ids.join(',')),
    );
    expectObservable(result$).toBe('20ms (a|)', { a: 'a' });
  });
});

test('memory: snapshot() copies the contents by app', (t) => {
  const store = new MemoryStateStore();
  syncValue(store.pingClient('app', 'a', at(1000)));
  syncValue(store.updateShards('app', 's', [{ id: shardId(0), closed: true }]));
  syncValue(store.updateCheckpoints('app', 's', [checkpoint(1, 1), checkpoint(0, 0)]));
  syncValue(store.pingClient('other', 'b', at(2000)));

  const snapshot = store.snapshot();
  t.deepEqual(snapshot, {
    clients: { app: { a: at(1000) }, other: { b: at(2000) } },
    shards: { app: { s: [{ id: shardId(0), closed: true }] } },
    checkpoints: { app: { s: [checkpoint(0, 0), checkpoint(1, 1)] } },
  });

  // changing the snapshot changes nothing in the store
  snapshot.clients['app']!['a']!.setTime(0);
  snapshot.shards['app']!['s']!.pop();
  t.deepEqual(syncValue(store.listAliveClients('app', at(500))), ['a']);
  t.deepEqual(syncValue(store.getShards('app', 's')), [{ id: shardId(0), closed: true }]);
});

test('memory: reportError emits on errors$', (t) => {
  const store = new MemoryStateStore();
  const seen: KinesumerError[] = [];
  store.errors$.subscribe((e) => seen.push(e));
  const err = new MalformedItemError({ pk: 'p', sk: 's' }, 'bad');
  store.reportError(err);
  t.deepEqual(seen, [err]);
});

test('memory: an invalid Date is refused', async (t) => {
  const store = new MemoryStateStore();
  const err = await t.throwsAsync(run(store.pingClient('app', 'a', new Date(Number.NaN))), { instanceOf: StateStoreError });
  t.false(err?.retriable);
  t.deepEqual(store.snapshot().clients, {});
});
