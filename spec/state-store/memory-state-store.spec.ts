import test from 'ava';
import { isObservable, retry, timer, map, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { MalformedItemError, StateStoreError, type KinesumerError } from '../../src/errors.js';
import { MemoryStateStore } from '../../src/state-store/memory-state-store.js';
import { acquire, at, checkpoint, run, seq, shardId, shardStart, stateStoreContract } from './contract.js';
import { heartbeatContract } from './heartbeat-contract.js';
import { seekContract } from './seek-contract.js';
import { shardCacheContract } from './shard-cache-contract.js';

stateStoreContract(test, 'memory', () => new MemoryStateStore());
heartbeatContract(test, 'memory', () => new MemoryStateStore());
seekContract(test, 'memory', () => new MemoryStateStore());
shardCacheContract(test, 'memory', () => new MemoryStateStore());

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
  const request = { clientId: 'a', aliveSince: at(0), shardStart: '1', now: at(1) };
  t.deepEqual(syncValue(store.acquireShard('app', 's', shardId(1), request)), {
    shardId: shardId(1),
    owner: 'a',
    finished: false,
    shardStart: '1',
    lastUpdate: at(1),
  });
  const commit = { clientId: 'a', sequenceNumber: '5', previous: undefined, finished: false, now: at(2) };
  t.is(syncValue(store.commitShard('app', 's', shardId(1), commit)), true);
  t.is(syncValue(store.commitShard('app', 's', shardId(1), commit)), false);
  t.is(syncValue(store.releaseShard('app', 's', shardId(1), 'a')), undefined);
  t.deepEqual(syncValue(store.listShardStates('app', 's')), [
    checkpointState(0, 1),
    { shardId: shardId(1), sequenceNumber: '5', finished: false, shardStart: '1', lastUpdate: at(2) },
  ]);
  t.is(syncValue(store.deleteShardStates('app', 's', [shardId(0), shardId(1)])), undefined);
  t.deepEqual(syncValue(store.listShardStates('app', 's')), []);
});

/** The shard state that `updateCheckpoints([checkpoint(shard, n)])` leaves. */
function checkpointState(shard: number, n: number) {
  const cp = checkpoint(shard, n);
  return { shardId: cp.shardId, sequenceNumber: cp.sequenceNumber, finished: false, lastUpdate: cp.lastUpdate };
}

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

test('memory: failNext works for the shard-state methods, and failed calls change nothing', async (t) => {
  const store = new MemoryStateStore();
  const boom = new StateStoreError('acquireShard', 'throttled', { retriable: true });
  for (const method of ['listShardStates', 'acquireShard', 'releaseShard', 'commitShard', 'deleteShardStates'] as const) {
    store.failNext(method, boom);
  }
  const request = { clientId: 'a', aliveSince: at(0), shardStart: undefined, now: at(0) };
  const commit = { clientId: 'a', sequenceNumber: seq(1), previous: undefined, finished: false, now: at(0) };
  t.is(await t.throwsAsync(run(store.acquireShard('app', 's', shardId(0), request))), boom);
  t.deepEqual(store.snapshot().states, {});
  t.truthy(await run(store.acquireShard('app', 's', shardId(0), request)));
  t.is(await t.throwsAsync(run(store.commitShard('app', 's', shardId(0), commit))), boom);
  t.is(await t.throwsAsync(run(store.releaseShard('app', 's', shardId(0), 'a'))), boom);
  t.is(await t.throwsAsync(run(store.deleteShardStates('app', 's', [shardId(0)]))), boom);
  t.is(await t.throwsAsync(run(store.listShardStates('app', 's'))), boom);
  t.deepEqual(await run(store.listShardStates('app', 's')), [
    { shardId: shardId(0), owner: 'a', finished: false, lastUpdate: at(0) },
  ]);
  t.true(await run(store.commitShard('app', 's', shardId(0), commit)));
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

test('memory: snapshot() copies the contents by app', async (t) => {
  const store = new MemoryStateStore();
  syncValue(store.pingClient('app', 'a', at(1000)));
  syncValue(store.updateShards('app', 's', [{ id: shardId(0), closed: true, startingSequenceNumber: shardStart(0) }]));
  syncValue(store.updateCheckpoints('app', 's', [checkpoint(1, 1), checkpoint(0, 0)]));
  syncValue(store.pingClient('other', 'b', at(2000)));
  // a shard taken but not committed yet, in a stream with no checkpoint at all
  await acquire(store, 'app', 2, 'a', { now: at(3), alive: [] });
  syncValue(store.acquireShard('app', 'fresh', shardId(0), { clientId: 'a', aliveSince: at(0), shardStart: undefined, now: at(4) }));

  const snapshot = store.snapshot();
  t.deepEqual(snapshot, {
    clients: { app: { a: at(1000) }, other: { b: at(2000) } },
    heartbeats: {},
    shards: { app: { s: [{ id: shardId(0), closed: true, startingSequenceNumber: shardStart(0) }] } },
    checkpoints: { app: { s: [checkpoint(0, 0), checkpoint(1, 1)] } },
    states: {
      app: {
        s: [
          checkpointState(0, 0),
          checkpointState(1, 1),
          { shardId: shardId(2), owner: 'a', finished: false, shardStart: shardStart(2), lastUpdate: at(3) },
        ],
        fresh: [{ shardId: shardId(0), owner: 'a', finished: false, lastUpdate: at(4) }],
      },
    },
  });

  // changing the snapshot changes nothing in the store
  snapshot.clients['app']!['a']!.setTime(0);
  snapshot.shards['app']!['s']!.pop();
  snapshot.states['app']!['s']![2]!.owner = 'changed';
  snapshot.states['app']!['s']![2]!.lastUpdate!.setTime(0);
  t.deepEqual(syncValue(store.listAliveClients('app', at(500))), ['a']);
  t.deepEqual(syncValue(store.getShards('app', 's')), [{ id: shardId(0), closed: true, startingSequenceNumber: shardStart(0) }]);
  t.deepEqual(store.snapshot().states['app']!['s']![2], {
    shardId: shardId(2),
    owner: 'a',
    finished: false,
    shardStart: shardStart(2),
    lastUpdate: at(3),
  });
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
