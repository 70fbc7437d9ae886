/**
 * Marks a client committed through its heartbeats outlive the shard leaving it without an item
 * write (a step-down while the store is out of reach) and the client itself (a restart under the
 * same id): its next take of the shard starts after them, not after the older item.
 */
import test from 'ava';
import { tap, throwError, type SchedulerLike } from 'rxjs';
import { checkpoint } from '../../src/checkpoint/checkpoint.js';
import { RetainedMarks } from '../../src/checkpoint/retained-marks.js';
import { StateStoreError } from '../../src/errors.js';
import { createKinesumer, type Kinesumer } from '../../src/index.js';
import { silentLogger } from '../../src/logger.js';
import type { KinesumerRecord } from '../../src/record.js';
import { MemoryStateStore } from '../../src/state-store/memory-state-store.js';
import type { ShardState, StateStore } from '../../src/state-store/state-store.js';
import type { FakeKinesis } from '../../src/testing/fake-kinesis.js';
import { fakeKinesis, putOn } from '../helpers/kit.js';
import { testScheduler } from '../helpers/marbles.js';

const S0 = 'shardId-000000000000';

function consumer(scheduler: SchedulerLike, store: StateStore, kinesis: FakeKinesis, itemInterval?: number): Kinesumer {
  return createKinesumer({
    app: 'app',
    clientId: 'only',
    kinesis,
    stateStore: store,
    initialPosition: 'TRIM_HORIZON',
    scheduler,
    group: { syncInterval: 1000, clientTimeout: 3000 },
    commit: { interval: 500, ...(itemInterval === undefined ? {} : { itemInterval }) },
    logger: silentLogger,
  });
}

/** `store`, failing every call while `down()` says so, as a table out of reach does. */
function outage(store: MemoryStateStore, down: () => boolean): StateStore {
  return new Proxy(store, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function' || name === 'errors$') return value;
      return (...args: unknown[]) =>
        down() ? throwError(() => new StateStoreError(String(name), 'unreachable', { retriable: true })) : (value as (...a: unknown[]) => unknown).apply(target, args);
    },
  }) as StateStore;
}

test('a step-down while the store is out of reach: taken again after it, the shard resumes after the marks its heartbeats carried', (t) => {
  const scheduler = testScheduler(t);
  const store = new MemoryStateStore();
  let down = false;
  const delivered: string[] = [];
  let seqs: string[] = [];
  scheduler.run(() => {
    const kinesis = fakeKinesis(scheduler, { s: 1 });
    seqs = putOn(kinesis, 's', 0, 3);
    const c = consumer(scheduler, outage(store, () => down), kinesis);
    c.consume(['s'])
      .pipe(
        tap((r: KinesumerRecord) => delivered.push(r.sequenceNumber)),
        checkpoint(c),
      )
      .subscribe();
    // given the 3 records were read at once and a heartbeat carried their marks (the item still
    // holds the take's), when the store is out of reach from 1500 to 8000 (the client steps down)
    scheduler.schedule(() => (down = true), 1500);
    scheduler.schedule(() => (down = false), 8000);
    // and a record arrives after it
    scheduler.schedule(() => void putOn(kinesis, 's', 0, 1, 3), 9000);
    scheduler.schedule(() => void c.close(), 12_000);
  });
  // then nothing was delivered twice: the take after the outage started after the third record
  t.deepEqual(delivered, [...seqs, delivered[3]!]);
  t.is(delivered.length, 4);
  t.is(store.snapshot().checkpoints['app']?.['s']?.[0]?.sequenceNumber, delivered[3]);
});

test('a restart under the same id resumes after the marks the previous run committed in its heartbeat, not its older item', (t) => {
  const scheduler = testScheduler(t);
  const store = new MemoryStateStore();
  const delivered: string[] = [];
  let seqs: string[] = [];
  scheduler.run(() => {
    const kinesis = fakeKinesis(scheduler, { s: 1 });
    seqs = putOn(kinesis, 's', 0, 3);
    const shardStart = kinesis.describeShards('s')[0]!.startingSequenceNumber;
    // given the previous run (SIGKILLed) held the shard, its item from the take, its heartbeat at the second record
    store.acquireShard('app', 's', S0, { clientId: 'only', aliveSince: new Date(-3000), now: new Date(0), shardStart }).subscribe();
    store.heartbeat('app', 'only', new Date(0), { checkpoints: { s: { [S0]: { sequenceNumber: seqs[1]! } } } }).subscribe();
    // when it starts again under the same id
    const c = consumer(scheduler, store, kinesis);
    c.consume(['s'])
      .pipe(
        tap((r: KinesumerRecord) => delivered.push(r.sequenceNumber)),
        checkpoint(c),
      )
      .subscribe();
    scheduler.schedule(() => void c.close(), 3000);
  });
  // then it reads only the third record
  t.deepEqual(delivered, [seqs[2]]);
});

test('a shard lost to a fenced write and taken again resumes after the marks the heartbeats carried before the loss', (t) => {
  const scheduler = testScheduler(t);
  const store = new MemoryStateStore();
  const delivered: string[] = [];
  const lost: string[] = [];
  scheduler.run(() => {
    const kinesis = fakeKinesis(scheduler, { s: 1 });
    putOn(kinesis, 's', 0, 3);
    const c = consumer(scheduler, store, kinesis, 2900);
    c.errors$.subscribe((err) => err.code === 'SHARD_LOST' && lost.push(`${err.code}@${scheduler.now()}`));
    c.consume(['s'])
      .pipe(
        tap((r: KinesumerRecord) => delivered.push(r.sequenceNumber)),
        checkpoint(c),
      )
      .subscribe();
    // given a leader that took this client for dead pruned it at 1200: its heartbeat's marks went
    // to the item, which this client's next item write (at 2900) no longer expects
    scheduler.schedule(() => void store.pruneClients('app', new Date(scheduler.now() + 1)).subscribe(), 1200);
    // and two more records were read and committed through the heartbeats after the prune
    scheduler.schedule(() => void putOn(kinesis, 's', 0, 2, 3), 1500);
    scheduler.schedule(() => void c.close(), 6000);
  });
  // then the shard was reported lost at the item write, taken again, and nothing was read twice
  t.deepEqual(lost, ['SHARD_LOST@2900']);
  t.is(delivered.length, 5, delivered.join(' '));
  t.is(new Set(delivered).size, 5);
});

test('a restart under the same id frees the shards its previous run held that are now assigned to others, after writing their marks', (t) => {
  const scheduler = testScheduler(t);
  const store = new MemoryStateStore();
  let seqs: string[] = [];
  let states: ShardState[] = [];
  scheduler.run(() => {
    const kinesis = fakeKinesis(scheduler, { s: 2 });
    seqs = putOn(kinesis, 's', 1, 2);
    const S1 = kinesis.describeShards('s')[1]!;
    // given the previous run held both shards (its heartbeat at shard 1's first record), and
    // another client is alive: shard 1 is now the other's
    for (const shard of kinesis.describeShards('s')) {
      store.acquireShard('app', 's', shard.shardId, { clientId: 'only', aliveSince: new Date(-3000), now: new Date(0), shardStart: shard.startingSequenceNumber }).subscribe();
    }
    store.heartbeat('app', 'only', new Date(0), { checkpoints: { s: { [S1.shardId]: { sequenceNumber: seqs[0]! } } } }).subscribe();
    scheduler.schedule(function ping() {
      store.pingClient('app', 'other', new Date(scheduler.now())).subscribe();
      if (scheduler.now() < 3000) this.schedule(undefined, 500);
    }, 0);
    // when it starts again under the same id
    const c = consumer(scheduler, store, kinesis);
    c.consume(['s']).pipe(checkpoint(c)).subscribe();
    scheduler.schedule(() => store.listShardStates('app', 's').subscribe((s) => (states = s)), 2500);
    scheduler.schedule(() => void c.close(), 3000);
  });
  // then it freed shard 1 for the other client, with the mark its previous run committed
  const s1 = states.find((s) => s.shardId.endsWith('1'));
  t.is(s1?.owner, undefined);
  t.is(s1?.sequenceNumber, seqs[0]);
});

test('retained marks: further-on marks win, a take forgets them, and so does a round that shows the shard held by another client, by nobody or sought', (t) => {
  const marks = new RetainedMarks();
  marks.inherit({ checkpoints: { s: { a: { sequenceNumber: '20' }, b: { sequenceNumber: '5' }, c: { sequenceNumber: '7' }, d: { sequenceNumber: '9' } } }, seeks: { s: { d: 1 } } });
  marks.inherit({ checkpoints: { s: { a: { sequenceNumber: '10' } } } });
  t.deepEqual([...marks.values()].find((m) => m.shardId === 'a')?.position, { sequenceNumber: '20' });
  marks.taken('s', 'b');
  const state = (shardId: string, owner: string | undefined, seek?: number): [string, ShardState] => [shardId, { shardId, owner, seek, finished: false }];
  marks.pruneBy('s', new Map([state('a', 'me'), state('c', 'other'), state('d', 'me', 2)]), 'me');
  t.deepEqual([...marks.values()].map((m) => m.shardId), ['a']);
  marks.pruneBy('s', new Map(), 'me');
  t.is(marks.size, 0);
});

/** The rejoin, heartbeat and listClients calls of one consumer run of 1500 ms after a previous run's heartbeat, with `failedRejoins` failing. */
function firstBeats(t: Parameters<typeof testScheduler>[0], failedRejoins: number): string[] {
  const scheduler = testScheduler(t);
  const store = new MemoryStateStore();
  const calls: string[] = [];
  const recorded = new Proxy(store, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function' || !['rejoin', 'heartbeat', 'listClients'].includes(String(name))) return value;
      return (...args: unknown[]) => (calls.push(`${scheduler.now()} ${String(name)}`), (value as (...a: unknown[]) => unknown).apply(target, args));
    },
  });
  scheduler.run(() => {
    const kinesis = fakeKinesis(scheduler, { s: 1 });
    store.heartbeat('app', 'only', new Date(0), { checkpoints: { s: { [S0]: { sequenceNumber: putOn(kinesis, 's', 0, 1)[0]! } } } }).subscribe();
    store.failNext('rejoin', new StateStoreError('rejoin', 'unreachable', { retriable: true }), failedRejoins);
    const c = consumer(scheduler, recorded, kinesis);
    c.consume(['s']).pipe(checkpoint(c)).subscribe();
    scheduler.schedule(() => void c.close(), 1500);
  });
  return calls;
}

test('the first heartbeat of a run is one rejoin call, with no listClients read before it; a failed rejoin is tried again by the next heartbeat, never replaced by a plain one', (t) => {
  t.deepEqual(firstBeats(t, 0).slice(0, 2), ['0 rejoin', '500 heartbeat'], 'one call at the start; plain heartbeats after it (the commit heartbeat at 500)');
  // the retried rejoin at 1000 is followed by the plain heartbeat that carries what the run has by then (its take's mark, stats)
  t.deepEqual(firstBeats(t, 1).slice(0, 3), ['0 rejoin', '1000 rejoin', '1000 heartbeat']);
});
