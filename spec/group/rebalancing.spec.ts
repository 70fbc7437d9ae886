/**
 * Marble tests of rebalancing timing: several group members on one TestScheduler share an
 * in-memory state store and a fake Kinesis seam. Each shard's reader lifetime is the subscription
 * of that shard's iterator Observable, so `expectSubscriptions` says at which frame each reader
 * started (^) and stopped (!). Default timings: syncInterval 5000 ms, clientTimeout 10000 ms.
 */
import test from 'ava';
import { NEVER, delay, type Subscription } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { createKinesumer, type Kinesumer } from '../../src/index.js';
import { MemoryStateStore } from '../../src/state-store/memory-state-store.js';
import type { StateStore } from '../../src/state-store/state-store.js';
import { FakeKinesis, makeRecords, openShards } from '../helpers/fake-kinesis.js';
import { checkpoint } from '../../src/checkpoint/checkpoint.js';
import { testScheduler } from '../helpers/marbles.js';

const S = (i: number) => `shardId-${String(i).padStart(12, '0')}`;

function member(scheduler: TestScheduler, id: string, store: StateStore, kinesis: FakeKinesis, extra: object = {}): Kinesumer {
  return createKinesumer({
    app: 'app',
    clientId: id,
    kinesis,
    stateStore: store,
    initialPosition: 'TRIM_HORIZON',
    scheduler,
    ...extra,
  });
}

/** A store whose calls hang once `dead` is set, as a crashed process's would never arrive. */
function killable(store: MemoryStateStore): { store: StateStore; kill: () => void } {
  let dead = false;
  const wrapped = new Proxy(store, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof value !== 'function' || name === 'errors$') return value;
      return (...args: unknown[]) => (dead ? NEVER : (value as (...a: unknown[]) => unknown).apply(target, args));
    },
  });
  return { kill: () => (dead = true), store: wrapped };
}

test('a client joins: the old owner releases half at its next sync, and the newcomer starts it in that frame', (t) => {
  const scheduler = testScheduler(t);
  scheduler.run((helpers) => {
    const kinesis = new FakeKinesis(helpers, () => scheduler.now(), { s: openShards(4) });
    const store = new MemoryStateStore();
    const a = member(scheduler, 'a', store, kinesis);
    const b = member(scheduler, 'b', store, kinesis);
    // given a alone from frame 0, when b joins at 7000 ms
    a.consume(['s']).subscribe();
    scheduler.schedule(() => b.consume(['s']).subscribe(), 7000);
    scheduler.schedule(() => void a.close(), 30_000);
    scheduler.schedule(() => void b.close(), 30_000);

    // then a releases shards 2 and 3 at its sync at 10000 and keeps 0 and 1; b, which has been
    // asking for 2 and 3 since 7000, takes them in the same frame: never two readers of one shard
    helpers.expectSubscriptions(kinesis.iterator('s', S(0)).subscriptions).toBe('^ 29999ms !');
    helpers.expectSubscriptions(kinesis.iterator('s', S(1)).subscriptions).toBe('^ 29999ms !');
    helpers.expectSubscriptions(kinesis.iterator('s', S(2)).subscriptions).toBe(['^ 9999ms !', '10000ms ^ 19999ms !']);
    helpers.expectSubscriptions(kinesis.iterator('s', S(3)).subscriptions).toBe(['^ 9999ms !', '10000ms ^ 19999ms !']);
  });
});

test('a client leaves gracefully: the survivor takes its shards at its next sync, not after clientTimeout', (t) => {
  const scheduler = testScheduler(t);
  let assignments: Record<string, string[]>[] = [];
  scheduler.run((helpers) => {
    const kinesis = new FakeKinesis(helpers, () => scheduler.now(), { s: openShards(4) });
    const store = new MemoryStateStore();
    const a = member(scheduler, 'a', store, kinesis);
    const b = member(scheduler, 'b', store, kinesis);
    a.assignment$.subscribe((x) => assignments.push(x));
    a.consume(['s']).subscribe();
    scheduler.schedule(() => b.consume(['s']).subscribe(), 1000);
    // when b closes at 13000 ms (it deregisters at once)
    scheduler.schedule(() => void b.close(), 13_000);
    scheduler.schedule(() => void a.close(), 40_000);

    // then a, syncing at 15000, takes shards 2 and 3 back
    helpers.expectSubscriptions(kinesis.iterator('s', S(0)).subscriptions).toBe('^ 39999ms !');
    helpers.expectSubscriptions(kinesis.iterator('s', S(2)).subscriptions).toBe([
      '^ 4999ms !',
      '5000ms ^ 7999ms !',
      '15000ms ^ 24999ms !',
    ]);
    helpers.expectSubscriptions(kinesis.iterator('s', S(3)).subscriptions).toBe([
      '^ 4999ms !',
      '5000ms ^ 7999ms !',
      '15000ms ^ 24999ms !',
    ]);
  });
  t.deepEqual(assignments, [
    {},
    { s: [S(0), S(1), S(2), S(3)] },
    { s: [S(0), S(1)] },
    { s: [S(0), S(1), S(2), S(3)] },
    {},
  ]);
});

test('a crashed leader is dead after clientTimeout: the survivor becomes leader, prunes it and takes its shards', (t) => {
  const scheduler = testScheduler(t);
  const memory = new MemoryStateStore();
  scheduler.run((helpers) => {
    const kinesis = new FakeKinesis(helpers, () => scheduler.now(), { s: openShards(4) });
    const crashing = killable(memory);
    const a = member(scheduler, 'a', crashing.store, kinesis);
    const b = member(scheduler, 'b', memory, kinesis);
    let subA: Subscription | undefined;
    scheduler.schedule(() => (subA = a.consume(['s']).subscribe()), 0);
    scheduler.schedule(() => b.consume(['s']).subscribe(), 1000);
    // when a crashes at 7000 ms: its readers stop, and nothing it sends reaches the store any more
    scheduler.schedule(() => {
      crashing.kill();
      subA?.unsubscribe();
    }, 7000);
    scheduler.schedule(() => void b.close(), 30_000);

    // then a's last heartbeat (5000) is older than clientTimeout at b's sync at 16000: b takes 0 and 1
    helpers.expectSubscriptions(kinesis.iterator('s', S(0)).subscriptions).toBe(['^ 6999ms !', '16000ms ^ 13999ms !']);
    helpers.expectSubscriptions(kinesis.iterator('s', S(1)).subscriptions).toBe(['^ 6999ms !', '16000ms ^ 13999ms !']);
    helpers.expectSubscriptions(kinesis.iterator('s', S(2)).subscriptions).toBe(['^ 4999ms !', '5000ms ^ 24999ms !']);
  });
  // and the new leader pruned a's client item
  t.deepEqual(Object.keys(memory.snapshot().clients['app'] ?? {}), []);
});

test("the shard list grows: the leader caches the new shard and kinesumer's slices move at the next syncs", (t) => {
  const scheduler = testScheduler(t);
  scheduler.run((helpers) => {
    const kinesis = new FakeKinesis(helpers, () => scheduler.now(), { s: openShards(4) });
    const store = new MemoryStateStore();
    const kinesumerSlices = { group: { assignment: 'kinesumer' } };
    const a = member(scheduler, 'a', store, kinesis, kinesumerSlices);
    const b = member(scheduler, 'b', store, kinesis, kinesumerSlices);
    a.consume(['s']).subscribe();
    scheduler.schedule(() => b.consume(['s']).subscribe(), 1000);
    // when a fifth shard appears at 12000 ms
    scheduler.schedule(() => (kinesis.shards = { s: openShards(5) }), 12_000);
    scheduler.schedule(() => void a.close(), 30_000);
    scheduler.schedule(() => void b.close(), 30_000);

    // then leader a caches it at 15000 and asks for 0..2; b, syncing at 16000, releases 2 (a takes
    // it in that frame) and takes 3 and 4
    helpers.expectSubscriptions(kinesis.iterator('s', S(2)).subscriptions).toBe([
      '^ 4999ms !',
      '5000ms ^ 10999ms !',
      '16000ms ^ 13999ms !',
    ]);
    helpers.expectSubscriptions(kinesis.iterator('s', S(3)).subscriptions).toBe(['^ 4999ms !', '5000ms ^ 24999ms !']);
    helpers.expectSubscriptions(kinesis.iterator('s', S(4)).subscriptions).toBe('16000ms ^ 13999ms !');
  });
});

test('shards that stay with a client keep their reader across rebalances', (t) => {
  const scheduler = testScheduler(t);
  let kinesis: FakeKinesis | undefined;
  let split: number[] = [];
  scheduler.run((helpers) => {
    kinesis = new FakeKinesis(helpers, () => scheduler.now(), { s: openShards(6) });
    const store = new MemoryStateStore();
    const a = member(scheduler, 'a', store, kinesis);
    const b = member(scheduler, 'b', store, kinesis);
    const c = member(scheduler, 'c', store, kinesis);
    a.consume(['s']).subscribe();
    scheduler.schedule(() => b.consume(['s']).subscribe(), 1000);
    scheduler.schedule(() => c.consume(['s']).subscribe(), 2000);
    scheduler.schedule(() => [a, b, c].forEach((m) => void m.close()), 20_000);
    const latest = [a, b, c].map(() => 0);
    [a, b, c].forEach((m, i) => m.assignment$.subscribe((x) => (latest[i] = x['s']?.length ?? 0)));
    scheduler.schedule(() => (split = [...latest]), 12_000);

    // a keeps shard 0 the whole time: one reader, never restarted
    helpers.expectSubscriptions(kinesis.iterator('s', S(0)).subscriptions).toBe('^ 19999ms !');
  });
  t.deepEqual(split, [2, 2, 2]);
  // and once the group settled (12000 ms) each of the 6 shards has exactly one reader
  for (let i = 0; i < 6; i++) {
    const live = kinesis!.iterator('s', S(i)).subscriptions.filter((s) => s.subscribedFrame <= 12_000 && s.unsubscribedFrame > 12_000);
    t.is(live.length, 1, `shard ${i} readers at 12000`);
  }
});

test('refresh() starts the readers of an added stream and stops those of a removed one at once', (t) => {
  const scheduler = testScheduler(t);
  scheduler.run((helpers) => {
    const kinesis = new FakeKinesis(helpers, () => scheduler.now(), { s: openShards(1), u: openShards(1) });
    const a = member(scheduler, 'a', new MemoryStateStore(), kinesis);
    a.consume(['s']).subscribe();
    // when the streams change to ['u'] at 2000 ms
    scheduler.schedule(() => a.refresh(['u']), 2000);
    scheduler.schedule(() => void a.close(), 10_000);
    // then s's reader stops and u's starts in that frame, not at the next sync (5000)
    helpers.expectSubscriptions(kinesis.iterator('s', S(0)).subscriptions).toBe('^ 1999ms !');
    helpers.expectSubscriptions(kinesis.iterator('u', S(0)).subscriptions).toBe('2000ms ^ 7999ms !');
  });
});

test('a shard assigned away while its acquisition is in flight is freed when the acquisition lands', (t) => {
  const scheduler = testScheduler(t);
  const memory = new MemoryStateStore();
  let ownerAt4000: string | undefined = 'not read';
  scheduler.run((helpers) => {
    const kinesis = new FakeKinesis(helpers, () => scheduler.now(), { s: openShards(1), u: openShards(1) });
    // a store whose acquireShard of stream s answers 3000 ms late
    const slow = Object.create(memory) as StateStore;
    slow.acquireShard = (app, stream, shardId, request) =>
      stream === 's' ? memory.acquireShard(app, stream, shardId, request).pipe(delay(3000, scheduler)) : memory.acquireShard(app, stream, shardId, request);
    const a = member(scheduler, 'a', slow, kinesis);
    a.consume(['s']).subscribe();
    // when s is dropped at 1000, before the acquisition sent at 0 answers (at 3000)
    scheduler.schedule(() => a.refresh(['u']), 1000);
    scheduler.schedule(() => (ownerAt4000 = memory.snapshot().states['app']?.['s']?.[0]?.owner), 4000);
    scheduler.schedule(() => void a.close(), 10_000);
    // then s was never read, and its state has no owner once the late answer came
    helpers.expectSubscriptions(kinesis.iterator('s', S(0)).subscriptions).toBe([]);
  });
  t.is(ownerAt4000 ?? 'nobody', 'nobody', 'a live client that does not read the shard must not hold it');
});

test('a client that cannot reach the store for clientTimeout stops reading, and the others take over', (t) => {
  const scheduler = testScheduler(t);
  const memory = new MemoryStateStore();
  const errors: string[] = [];
  scheduler.run((helpers) => {
    const kinesis = new FakeKinesis(helpers, () => scheduler.now(), { s: openShards(2) });
    const cut = killable(memory);
    const a = member(scheduler, 'a', cut.store, kinesis);
    const b = member(scheduler, 'b', memory, kinesis);
    a.errors$.subscribe((e) => errors.push(e.code));
    a.consume(['s']).subscribe();
    scheduler.schedule(() => b.consume(['s']).subscribe(), 1000);
    // when a's store calls hang from 7000 ms on (a network partition, not a crash)
    scheduler.schedule(() => cut.kill(), 7000);
    scheduler.schedule(() => [a, b].forEach((m) => void m.close()), 30_000);
    // then a, whose last heartbeat was written at 5000, gives shard 0 up at 15000, while its ping of
    // 10000 still hangs; b counts a dead at its sync at 16000 and reads shard 0 from then on
    helpers.expectSubscriptions(kinesis.iterator('s', S(0)).subscriptions).toBe(['^ 14999ms !', '16000ms ^ 13999ms !']);
  });
  t.true(errors.includes('STATE_STORE_FAILED'));
});

/** Logs the store's shard-ownership calls as `frame method client shard`. */
function logged(store: MemoryStateStore, now: () => number, log: string[]): StateStore {
  return new Proxy(store, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (name === 'releaseShard') {
        return (app: string, stream: string, shardId: string, clientId: string) => {
          log.push(`${now()} release ${clientId} ${shardId.slice(-1)}`);
          return target.releaseShard(app, stream, shardId, clientId);
        };
      }
      if (name === 'commitShard') {
        return (...args: Parameters<MemoryStateStore['commitShard']>) => {
          log.push(`${now()} commit ${args[3].clientId} ${args[2].slice(-1)}`);
          return target.commitShard(...args);
        };
      }
      if (name === 'heartbeat') {
        return (...args: Parameters<MemoryStateStore['heartbeat']>) => {
          for (const id of Object.keys(args[3].checkpoints['s'] ?? {})) log.push(`${now()} beat ${args[1]} ${id.slice(-1)}`);
          return target.heartbeat(...args);
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

test('handoff timing: the old owner stops, commits its marks, releases, and the new reader starts, in one frame', (t) => {
  const scheduler = testScheduler(t);
  const log: string[] = [];
  scheduler.run((helpers) => {
    const kinesis = new FakeKinesis(helpers, () => scheduler.now(), { s: openShards(2) });
    // shard 1 gets records at 0 and at 9000 (GetRecords every idleInterval of 1000 ms)
    kinesis.queue('s', S(1), makeRecords(1, 0, 2));
    for (let i = 0; i < 8; i++) kinesis.queue('s', S(1), []);
    kinesis.queue('s', S(1), makeRecords(1, 2, 2));
    const store = logged(new MemoryStateStore(), () => scheduler.now(), log);
    const a = member(scheduler, 'a', store, kinesis, { commit: { interval: 4000 } });
    const b = member(scheduler, 'b', store, kinesis);
    a.consume(['s']).pipe(checkpoint(a)).subscribe();
    scheduler.schedule(() => b.consume(['s']).subscribe(), 7000);
    scheduler.schedule(() => [a, b].forEach((m) => void m.close()), 12_000);
    // a reads shard 1 from 0 and stops at its sync at 10000; b, asking since 7000, starts it in
    // the same frame, once a has committed the marks of 9000 and released it
    helpers.expectSubscriptions(kinesis.iterator('s', S(1)).subscriptions).toBe(['^ 9999ms !', '10000ms ^ 1999ms !']);
  });
  t.deepEqual(
    log.filter((l) => l.endsWith(' 1') && Number(l.split(' ')[0]) <= 10_000),
    // the commit at 4000 rides in a heartbeat, and so do the group heartbeats (a, alone until 7000,
    // sends no heartbeat of its own for its new digests at 5000; the commit at 8000 has nothing
    // new); releasing at 10000 writes the item (fenced) before freeing the shard
    ['4000 beat a 1', '5000 beat a 1', '10000 beat a 1', '10000 commit a 1', '10000 release a 1'],
  );
});

test('clients that join together never read one shard at the same time, though their views differ for a while', (t) => {
  const scheduler = testScheduler(t);
  let kinesis: FakeKinesis | undefined;
  scheduler.run((helpers) => {
    kinesis = new FakeKinesis(helpers, () => scheduler.now(), { s: openShards(4) });
    const store = new MemoryStateStore();
    const members = ['a', 'b', 'c', 'd'].map((id) => member(scheduler, id, store, kinesis!));
    members[0]!.consume(['s']).subscribe();
    // b, c and d join in one frame: b lists the clients before c and d have pinged
    scheduler.schedule(() => members.slice(1).forEach((m) => m.consume(['s']).subscribe()), 1000);
    scheduler.schedule(() => members.forEach((m) => void m.close()), 30_000);
  });
  for (let i = 0; i < 4; i++) {
    const intervals = kinesis!.iterator('s', S(i)).subscriptions.map((s) => [s.subscribedFrame, s.unsubscribedFrame] as const);
    const sorted = [...intervals].sort((x, y) => x[0] - y[0]);
    for (let k = 1; k < sorted.length; k++) {
      t.true(sorted[k]![0] >= sorted[k - 1]![1], `shard ${i}: reader from ${sorted[k]![0]} overlaps one until ${sorted[k - 1]![1]}`);
    }
    // and once settled, every shard has a reader
    t.true(intervals.some(([from, to]) => from <= 20_000 && to >= 30_000), `shard ${i} is read at the end`);
  }
});
