/**
 * Marble tests of the group sync on its own: one or two groupSync loops on a TestScheduler over
 * an in-memory store (its calls logged by frame) and a Kinesis double. Timings: a round every
 * 1000 ms, clientTimeout 3000 ms.
 */
import test from 'ava';
import { Subject, map, of, takeUntil, throwError, timer, type Observable } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { KinesisError, StateStoreError, StreamNotFoundError, type KinesumerError } from '../../src/errors.js';
import { groupSync, type GroupSyncOptions, type GroupView } from '../../src/group/group-sync.js';
import { toCachedShard } from '../../src/group/shard-list.js';
import type { KinesisApi } from '../../src/kinesis/kinesis-api.js';
import { MemoryStateStore } from '../../src/state-store/memory-state-store.js';
import type { StateStore } from '../../src/state-store/state-store.js';
import { openShards } from '../helpers/fake-kinesis.js';
import { testScheduler } from '../helpers/marbles.js';
import { kinesisDouble, loggedStore, openStreams } from './group-doubles.js';

const S = (i: number) => `shardId-${String(i).padStart(12, '0')}`;

function sync(scheduler: TestScheduler, clientId: string, store: StateStore, kinesis: KinesisApi, extra: Partial<GroupSyncOptions> = {}) {
  const reports: KinesumerError[] = [];
  const view$ = groupSync({
    app: 'app',
    clientId,
    store,
    kinesis,
    scheduler,
    syncInterval: 1000,
    clientTimeout: 3000,
    streams: () => ['s'],
    report: (err) => reports.push(err),
    initialLatest: false,
    ...extra,
  });
  return { view$, reports };
}

/** Subscribes to `view$` until frame `until` (the heartbeat clock never ends by itself). */
function runUntil(scheduler: TestScheduler, view$: Observable<unknown>, until: number): void {
  const subscription = view$.subscribe();
  scheduler.schedule(() => subscription.unsubscribe(), until);
}

/** A marble diagram and its values for one value at each of the given distinct frames, in order. */
function timeline<T>(entries: Array<[frame: number, value: T]>): [string, Record<string, T>] {
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const values: Record<string, T> = {};
  let marble = '';
  let next = 0;
  entries.forEach(([frame, value], i) => {
    const letter = letters[i]!;
    if (frame > next) marble += `${frame - next}ms `;
    marble += `${letter} `;
    values[letter] = value;
    next = frame + 1;
  });
  return [marble.trimEnd(), values];
}

/** A view without its snapshots, for marbles. */
type Seen = Omit<GroupView, 'streams'>;
const seen = (view$: Observable<GroupView>): Observable<Seen> => view$.pipe(map(({ streams: _streams, ...rest }) => rest));
const alone = (at: number, shards: string[]): Seen => ({ clients: ['a'], index: 0, leader: true, assignment: { s: shards }, at });
const gaveUp = (at: number): Seen => ({ clients: [], index: -1, leader: false, assignment: {}, at });

/** What a report says: its class, operation and message. */
function said(err: KinesumerError): string {
  const operation = err instanceof StateStoreError || err instanceof KinesisError ? err.operation : '';
  return `${err.constructor.name} ${operation}: ${err.message}`;
}

/** The beat kinesumer passes with heartbeat commits: one store heartbeat carrying the digests. */
const beatInto = (store: StateStore, scheduler: TestScheduler, clientId: string) => (digests: Record<string, string> | undefined) =>
  store.heartbeat!('app', clientId, new Date(scheduler.now()), digests === undefined ? { checkpoints: {} } : { checkpoints: {}, digests });

test('a round follows every heartbeat: ping, list, ListShards and the cache, states, first prune; a view when the slowest answer is in', (t) => {
  const scheduler = testScheduler(t);
  const log: string[] = [];
  scheduler.run(({ cold, expectObservable }) => {
    const store = loggedStore(new MemoryStateStore(), () => scheduler.now(), log);
    // ListShards answers 10 ms after it was asked
    const kinesis = kinesisDouble(() => scheduler.now(), log, () => cold('10ms (a|)', { a: openShards(2) }));
    const { view$, reports } = sync(scheduler, 'a', store, kinesis);
    expectObservable(seen(view$), '^ 2500ms !').toBe('10ms a 999ms b 999ms c', {
      a: alone(0, [S(0), S(1)]),
      b: alone(1000, [S(0), S(1)]),
      c: alone(2000, [S(0), S(1)]),
    });
    scheduler.schedule(() => t.deepEqual(reports, []), 2500);
  });
  t.deepEqual(log, [
    // the first round lists the group alive since clientTimeout ago and prunes; the cache is
    // written once ListShards answered
    '0 pingClient a 0',
    '0 listGroup -3000',
    '0 listShards s',
    '0 getShards s',
    '0 listShardStates s',
    '0 pruneClients -3000',
    '10 updateShards s 0,1',
    // later rounds compare ListShards with the cache the leader wrote, without reading it back,
    // and prune only every 6 intervals
    '1000 pingClient a 1000',
    '1000 listGroup -2000',
    '1000 listShards s',
    '1000 listShardStates s',
    '2000 pingClient a 2000',
    '2000 listGroup -1000',
    '2000 listShards s',
    '2000 listShardStates s',
  ]);
});

test('the leader reads its shard cache back only every 13th round: a cache someone else changed is mended then', (t) => {
  const scheduler = testScheduler(t);
  const log: string[] = [];
  const memory = new MemoryStateStore();
  scheduler.run(({ cold }) => {
    const store = loggedStore(memory, () => scheduler.now(), log);
    const kinesis = kinesisDouble(() => scheduler.now(), log, () => cold('10ms (a|)', { a: openShards(2) }));
    const { view$ } = sync(scheduler, 'a', store, kinesis);
    view$.pipe(takeUntil(timer(14_500))).subscribe();
    // a client that briefly led too wrote a list of one shard
    scheduler.schedule(() => memory.updateShards('app', 's', openShards(1).map(toCachedShard)).subscribe(), 1500);
  });
  const cacheCalls = log.filter((line) => / (getShards|updateShards) /.test(line));
  t.deepEqual(cacheCalls, ['0 getShards s', '10 updateShards s 0,1', '13000 getShards s', '13010 updateShards s 0,1']);
  t.deepEqual(
    memory.snapshot().shards['app']?.['s']?.map((shard) => shard.id),
    [S(0), S(1)],
  );
});

test('a view carries the snapshot it was computed from, and splits the shards by index among the sorted clients', (t) => {
  const scheduler = testScheduler(t);
  const memory = new MemoryStateStore();
  scheduler.run(({ expectObservable }) => {
    const store = loggedStore(memory, () => scheduler.now(), []);
    // z (alive by its heartbeat at 0) sorts after b; b is index 0 and leads
    memory.pingClient('app', 'z', new Date(0)).subscribe();
    const { view$ } = sync(scheduler, 'b', store, openStreams(() => scheduler.now(), [], openShards(3)));
    expectObservable(view$, '^ 500ms !').toBe('a', {
      a: {
        clients: ['b', 'z'],
        index: 0,
        leader: true,
        assignment: { s: [S(0), S(1)] },
        streams: { s: { shards: [0, 1, 2].map((i) => ({ id: S(i), closed: false })), states: new Map() } },
        at: 0,
      },
    });
  });
});

test('a follower reads the leader cache, then skips reading while its snapshot matches the leader digest, but not for 13 rounds or a trigger', (t) => {
  const scheduler = testScheduler(t);
  const memory = new MemoryStateStore();
  const leaderLog: string[] = [];
  const followerLog: string[] = [];
  scheduler.run(({ cold, expectObservable }) => {
    const leaderStore = loggedStore(memory, () => scheduler.now(), leaderLog);
    const followerStore = loggedStore(memory, () => scheduler.now(), followerLog);
    const a = sync(scheduler, 'a', leaderStore, openStreams(() => scheduler.now(), leaderLog, openShards(2)), {
      beat: beatInto(leaderStore, scheduler, 'a'),
    });
    const b = sync(scheduler, 'b', followerStore, openStreams(() => scheduler.now(), followerLog, openShards(2)), {
      beat: beatInto(followerStore, scheduler, 'b'),
      triggers: cold('20500ms x'),
    });
    runUntil(scheduler, a.view$, 30_000);
    // b follows a, whether it read or not
    const follower = (at: number): Seen => ({ clients: ['a', 'b'], index: 1, leader: false, assignment: { s: [S(1)] }, at });
    const frames = [...Array.from({ length: 30 }, (_, i) => i * 1000), 20_500].sort((x, y) => x - y);
    expectObservable(seen(b.view$), '^ 29500ms !').toBe(...timeline(frames.map((at) => [at, follower(at)])));
  });
  // a listed the group before b's first heartbeat: alone, it sends no heartbeat of its own for its
  // first digests (b reads everything at its first round anyway); its heartbeat at 1000 carries them
  t.deepEqual(leaderLog.filter((l) => l.startsWith('0 ')), [
    '0 heartbeat a 0 -',
    '0 listGroup -3000',
    '0 listShards s',
    '0 getShards s',
    '0 updateShards s 0,1',
    '0 listShardStates s',
    '0 pruneClients -3000',
  ]);
  t.true(leaderLog.includes('1000 heartbeat a 1000 digests'));
  const rounds = (log: string[], method: string) => log.filter((l) => l.split(' ')[1] === method).map((l) => Number(l.split(' ')[0]));
  // b never asks Kinesis (the leader's cache is there); it reads at its first round, at its 13th
  // round after that, and in the round its trigger made at 20500, which starts the count again
  t.deepEqual(rounds(followerLog, 'listShards'), []);
  t.deepEqual(rounds(followerLog, 'listShardStates'), [0, 13_000, 20_500]);
  t.deepEqual(rounds(followerLog, 'getShards'), [0, 13_000, 20_500]);
  t.is(rounds(followerLog, 'listGroup').length, 31);
  t.deepEqual(rounds(followerLog, 'pruneClients'), []);
  // the leader reads every round
  t.is(rounds(leaderLog, 'listShardStates').length, 30);
  // a follower's heartbeats carry no digests, and go out only on its clock
  t.deepEqual(followerLog.filter((l) => l.split(' ')[1] === 'heartbeat'), Array.from({ length: 30 }, (_, i) => `${i * 1000} heartbeat b ${i * 1000} -`));
});

test('a leader alone sends no heartbeat of its own for new digests: its next heartbeat carries them', (t) => {
  const scheduler = testScheduler(t);
  const log: string[] = [];
  scheduler.run(() => {
    const store = loggedStore(new MemoryStateStore(), () => scheduler.now(), log);
    const a = sync(scheduler, 'a', store, openStreams(() => scheduler.now(), log, openShards(2)), { beat: beatInto(store, scheduler, 'a') });
    runUntil(scheduler, a.view$, 2500);
  });
  t.deepEqual(
    log.filter((l) => l.split(' ')[1] === 'heartbeat'),
    ['0 heartbeat a 0 -', '1000 heartbeat a 1000 digests', '2000 heartbeat a 2000 digests'],
  );
});

test('a follower keeps reading the leader digest every 13th round for as long as it runs', (t) => {
  const scheduler = testScheduler(t);
  const memory = new MemoryStateStore();
  const followerLog: string[] = [];
  scheduler.run(({ expectObservable }) => {
    const leaderStore = loggedStore(memory, () => scheduler.now(), []);
    const followerStore = loggedStore(memory, () => scheduler.now(), followerLog);
    const a = sync(scheduler, 'a', leaderStore, openStreams(() => scheduler.now(), [], openShards(2)), { beat: beatInto(leaderStore, scheduler, 'a') });
    const b = sync(scheduler, 'b', followerStore, openStreams(() => scheduler.now(), [], openShards(2)), { beat: beatInto(followerStore, scheduler, 'b') });
    expectObservable(a.view$.pipe(map(() => 'a')), '^ 30000ms !').toBe(`a ${' 999ms a'.repeat(30)}`);
    runUntil(scheduler, b.view$, 30_000);
  });
  t.deepEqual(
    followerLog.filter((l) => l.includes('listShardStates')).map((l) => Number(l.split(' ')[0])),
    [0, 13_000, 26_000],
  );
});

test('a follower asks Kinesis for the shard list while the leader has written no cache', (t) => {
  const scheduler = testScheduler(t);
  const memory = new MemoryStateStore();
  const log: string[] = [];
  scheduler.run(({ expectObservable }) => {
    // a is alive (it pinged at 0) but never syncs: it writes no shard cache
    memory.pingClient('app', 'a', new Date(0)).subscribe();
    const store = loggedStore(memory, () => scheduler.now(), log);
    const { view$ } = sync(scheduler, 'b', store, openStreams(() => scheduler.now(), log, openShards(2)));
    expectObservable(seen(view$), '^ 500ms !').toBe('a', { a: { clients: ['a', 'b'], index: 1, leader: false, assignment: { s: [S(1)] }, at: 0 } });
  });
  t.deepEqual(log, ['0 pingClient b 0', '0 listGroup -3000', '0 getShards s', '0 listShards s', '0 listShardStates s']);
});

test('while the store hangs, the watchdog gives every shard up clientTimeout after the last written heartbeat', (t) => {
  const scheduler = testScheduler(t);
  const log: string[] = [];
  scheduler.run(({ expectObservable }) => {
    // every call from 2500 on hangs
    const store = loggedStore(new MemoryStateStore(), () => scheduler.now(), log, { misbehave: (_method, at) => (at >= 2500 ? 'hang' : undefined) });
    const { view$, reports } = sync(scheduler, 'a', store, openStreams(() => scheduler.now(), [], openShards(2)));
    // the last heartbeat that got through was written at 2000: at 5000 the group counts a dead,
    // and a gives its shards up though its round of 3000 is still waiting; at 9000 the round of
    // 6000 times out and gives up again (with the time it started)
    expectObservable(seen(view$), '^ 9500ms !').toBe('a 999ms b 999ms c 2999ms d 3999ms e', {
      a: alone(0, [S(0), S(1)]),
      b: alone(1000, [S(0), S(1)]),
      c: alone(2000, [S(0), S(1)]),
      d: gaveUp(5000),
      e: gaveUp(6000),
    });
    scheduler.schedule(
      () =>
        t.deepEqual(reports.map(said), [
          'StateStoreError pingClient: State store pingClient failed: no answer within 3000 ms',
          'StateStoreError listGroup: State store listGroup failed: no answer within 3000 ms',
          'StateStoreError pingClient: State store pingClient failed: no answer within 3000 ms',
        ]),
      9500,
    );
  });
  // the heartbeat keeps its own clock: a new one goes out as soon as the hung one timed out,
  // while the round that followed it still waits
  t.deepEqual(
    log.filter((l) => Number(l.split(' ')[0]) >= 2500),
    ['3000 pingClient a 3000', '6000 listGroup 3000', '6000 pingClient a 6000', '9000 listGroup 6000', '9000 pingClient a 9000'],
  );
});

test('a round that starts while the group counts this client dead acts on nothing it lists, even when a heartbeat gets through meanwhile', (t) => {
  const scheduler = testScheduler(t);
  scheduler.run(({ cold, expectObservable }) => {
    // every call from 2500 to 5500 hangs; the listing of the round of 6000 answers 500 ms late
    const misbehave = (method: string, at: number) =>
      at >= 2500 && at < 5500 ? 'hang' : at === 6000 && method === 'listGroup' ? { after: cold('500ms x') } : undefined;
    const store = loggedStore(new MemoryStateStore(), () => scheduler.now(), [], { misbehave });
    const { view$ } = sync(scheduler, 'a', store, openStreams(() => scheduler.now(), [], openShards(2)));
    // the round of 6000 followed the heartbeat of 3000, which timed out: a was dead as it started;
    // the heartbeat of 6000 got through before the listing (which shows a) came back, but the round
    // still gives the shards up
    expectObservable(seen(view$), '^ 7500ms !').toBe('a 999ms b 999ms c 2999ms d 1499ms e 499ms f', {
      a: alone(0, [S(0), S(1)]),
      b: alone(1000, [S(0), S(1)]),
      c: alone(2000, [S(0), S(1)]),
      d: gaveUp(5000),
      e: { clients: ['a'], index: -1, leader: false, assignment: { s: [] }, at: 6000 },
      f: alone(7000, [S(0), S(1)]),
    });
  });
});

test('a trigger makes a round at once; one that comes while a round runs is dropped', (t) => {
  const scheduler = testScheduler(t);
  const log: string[] = [];
  scheduler.run(({ cold, expectObservable }) => {
    const store = loggedStore(new MemoryStateStore(), () => scheduler.now(), log);
    // ListShards takes 100 ms; triggers at 50 (during the first round) and at 500
    const kinesis = kinesisDouble(() => scheduler.now(), log, () => cold('100ms (a|)', { a: openShards(2) }));
    const { view$ } = sync(scheduler, 'a', store, kinesis, { triggers: cold('50ms x 449ms x') });
    expectObservable(seen(view$), '^ 1500ms !').toBe('100ms a 499ms b 499ms c', {
      a: alone(0, [S(0), S(1)]),
      b: alone(500, [S(0), S(1)]),
      c: alone(1000, [S(0), S(1)]),
    });
  });
  t.deepEqual(
    log.filter((l) => l.includes('listGroup')),
    ['0 listGroup -3000', '500 listGroup -2500', '1000 listGroup -2000'],
  );
});

test('after an outage of clientTimeout or more, for two clientTimeouts it counts the clients alive when it lost the store, and prunes nobody', (t) => {
  const scheduler = testScheduler(t);
  const memory = new MemoryStateStore();
  const log: string[] = [];
  scheduler.run(({ expectObservable }) => {
    // b heartbeats until 2000 and is not heard of again; every call of a fails from 2500 to 7000
    for (const at of [0, 1000, 2000]) scheduler.schedule(() => memory.pingClient('app', 'b', new Date(at)).subscribe(), at);
    const down = { error: new StateStoreError('any', 'unreachable', { retriable: true }) };
    const store = loggedStore(memory, () => scheduler.now(), log, { misbehave: (_method, at) => (at >= 2500 && at < 7000 ? down : undefined) });
    const { view$ } = sync(scheduler, 'a', store, openStreams(() => scheduler.now(), [], openShards(2)));
    const both = (at: number): Seen => ({ clients: ['a', 'b'], index: 0, leader: true, assignment: { s: [S(0)] }, at });
    // a's last heartbeat before the outage was written at 2000: it gives its shards up at 5000
    // (the watchdog, then the failed round) and at 6000
    expectObservable(seen(view$), '^ 13500ms !').toBe('a 999ms b 999ms c 2999ms (dd) 996ms e 999ms f 999ms g 999ms h 999ms i 999ms j 999ms k 999ms l', {
      a: both(0),
      b: both(1000),
      c: both(2000),
      d: gaveUp(5000),
      e: gaveUp(6000),
      // back at 7000: b's heartbeat is as old as a's own was, so b still counts until 13000 (b's
      // own call may have been out as the store came back, and take clientTimeout to end)
      f: both(7000),
      g: both(8000),
      h: both(9000),
      i: both(10_000),
      j: both(11_000),
      k: both(12_000),
      // then b is dead, and pruned
      l: alone(13_000, [S(0), S(1)]),
    });
  });
  const calls = (method: string) => log.filter((l) => l.split(' ')[1] === method && Number(l.split(' ')[0]) >= 7000);
  // alive since clientTimeout before the last heartbeat before the outage (2000), until 13000
  t.deepEqual(calls('listGroup'), [
    ...[7000, 8000, 9000, 10_000, 11_000, 12_000].map((at) => `${at} listGroup -1000`),
    // b is missing from the listing: listed again to be sure, then counted gone
    '13000 listGroup 10000',
    '13000 listGroup 10000',
  ]);
  t.deepEqual(calls('pruneClients'), ['13000 pruneClients 10000']);
});

test('a round that cannot list the group emits nothing: the previous view stands', (t) => {
  const scheduler = testScheduler(t);
  scheduler.run(({ expectObservable }) => {
    const memory = new MemoryStateStore();
    const store = loggedStore(memory, () => scheduler.now(), []);
    scheduler.schedule(() => memory.failNext('listGroup', new Error('throttled')), 500);
    const { view$ } = sync(scheduler, 'a', store, openStreams(() => scheduler.now(), [], openShards(2)));
    expectObservable(seen(view$), '^ 2500ms !').toBe('a 1999ms c', { a: alone(0, [S(0), S(1)]), c: alone(2000, [S(0), S(1)]) });
  });
});

test('a stream that cannot be listed keeps its previous assignment; one that does not exist has none', (t) => {
  const scheduler = testScheduler(t);
  scheduler.run(({ expectObservable }) => {
    const memory = new MemoryStateStore();
    const store = loggedStore(memory, () => scheduler.now(), []);
    // s's shard states cannot be read at 1000; t does not exist
    scheduler.schedule(() => memory.failNext('listShardStates', new Error('throttled')), 500);
    const kinesis = kinesisDouble(() => scheduler.now(), [], (stream) => (stream === 't' ? throwError(() => new StreamNotFoundError('t')) : of(openShards(2))));
    const { view$, reports } = sync(scheduler, 'a', store, kinesis, { streams: () => ['s', 't', 's'] });
    const listed = view$.pipe(map((v) => ({ ...v, streams: Object.keys(v.streams) })));
    expectObservable(listed, '^ 1500ms !').toBe('a 999ms b', {
      a: { ...alone(0, [S(0), S(1)]), streams: ['s'] },
      b: { ...alone(1000, [S(0), S(1)]), streams: ['s'] },
    });
    scheduler.schedule(
      () =>
        t.deepEqual(reports.map(said), [
          'StreamNotFoundError : Kinesis stream "t" was not found',
          'StateStoreError listShardStates: State store listShardStates failed: Error: throttled',
          'StreamNotFoundError : Kinesis stream "t" was not found',
        ]),
      1500,
    );
  });
});

test('each failure is reported under the operation that ran: listGroup, listAliveClients, heartbeat, pingClient', (t) => {
  const scheduler = testScheduler(t);
  const boom = () => new Error('boom');
  const reported: string[][] = [];
  scheduler.run(() => {
    const withListGroup = new MemoryStateStore();
    withListGroup.failNext('listGroup', boom());
    withListGroup.failNext('pingClient', boom());
    const a = sync(scheduler, 'a', withListGroup, openStreams(() => scheduler.now(), [], openShards(1)));
    runUntil(scheduler, a.view$, 4500);

    const withoutListGroup = loggedStore(new MemoryStateStore(), () => scheduler.now(), [], { withoutListGroup: true });
    (withoutListGroup as unknown as MemoryStateStore).failNext('listAliveClients', boom());
    const b = sync(scheduler, 'b', withoutListGroup, openStreams(() => scheduler.now(), [], openShards(1)));
    runUntil(scheduler, b.view$, 4500);

    // the heartbeat written through `beat` (with heartbeat commits): first it fails, then it hangs
    const beats = [throwError(boom), new Subject<void>()];
    const c = sync(scheduler, 'c', new MemoryStateStore(), openStreams(() => scheduler.now(), [], openShards(1)), {
      beat: () => beats.shift() ?? of(undefined),
    });
    runUntil(scheduler, c.view$, 4500);
    scheduler.schedule(() => reported.push(...[a, b, c].map((x) => x.reports.map(said))), 4500);
  });
  t.deepEqual(reported, [
    ['StateStoreError pingClient: State store pingClient failed: Error: boom', 'StateStoreError listGroup: State store listGroup failed: Error: boom'],
    ['StateStoreError listAliveClients: State store listAliveClients failed: Error: boom'],
    ['StateStoreError heartbeat: State store heartbeat failed: Error: boom', 'StateStoreError heartbeat: State store heartbeat failed: no answer within 3000 ms'],
  ]);
});

test('a hung ListShards fails the stream for that round as a Kinesis error, and the view keeps the previous assignment', (t) => {
  const scheduler = testScheduler(t);
  scheduler.run(({ cold, expectObservable }) => {
    const answers = [cold('(a|)', { a: openShards(2) }), cold<ReturnType<typeof openShards>>('-')];
    const kinesis = kinesisDouble(() => scheduler.now(), [], () => answers.shift() ?? cold('(a|)', { a: openShards(2) }));
    const { view$, reports } = sync(scheduler, 'a', new MemoryStateStore(), kinesis);
    // the round of 1000 waits for ListShards until 4000; the rounds of 2000 and 3000 are dropped
    expectObservable(seen(view$), '^ 5500ms !').toBe('a 3999ms (bc) 996ms d', {
      a: alone(0, [S(0), S(1)]),
      b: alone(1000, [S(0), S(1)]),
      c: alone(4000, [S(0), S(1)]),
      d: alone(5000, [S(0), S(1)]),
    });
    scheduler.schedule(() => t.deepEqual(reports.map(said), ['KinesisError ListShards: Kinesis ListShards on stream "s" failed: no answer within 3000 ms']), 5500);
  });
});

test('a store failure without a library error is reported under the shard-list call that failed', (t) => {
  const scheduler = testScheduler(t);
  let reports: KinesumerError[] = [];
  scheduler.run(() => {
    const memory = new MemoryStateStore();
    // getShards fails in the round of 0, listShardStates in the round of 1000
    memory.failNext('getShards', new Error('boom'));
    scheduler.schedule(() => memory.failNext('listShardStates', new Error('bang')), 500);
    const a = sync(scheduler, 'a', memory, openStreams(() => scheduler.now(), [], openShards(1)));
    reports = a.reports;
    runUntil(scheduler, a.view$, 1500);
  });
  t.deepEqual(reports.map(said), [
    'StateStoreError getShards: State store getShards failed: Error: boom',
    'StateStoreError listShardStates: State store listShardStates failed: Error: bang',
  ]);
});
