/**
 * The checkpoint operator and commits: what reaches `checkpoint()` is committed, in one batch per
 * stream; what has not reached it is not; filters do not stall it; misuse is a clear error.
 */
import test from 'ava';
import { asyncScheduler, concatMap, delay, filter, lastValueFrom, of, take, tap, toArray, type Observable } from 'rxjs';
import { checkpoint } from '../../src/checkpoint/checkpoint.js';
import { ClosedError, UsageError } from '../../src/errors.js';
import { createKinesumer, type Kinesumer } from '../../src/index.js';
import type { KinesumerRecord } from '../../src/record.js';
import { MemoryStateStore } from '../../src/state-store/memory-state-store.js';
import type { StateStore } from '../../src/state-store/state-store.js';
import type { FakeKinesis } from '../../src/testing/fake-kinesis.js';
import { fakeKinesis, putOn } from '../helpers/kit.js';
import { testScheduler } from '../helpers/marbles.js';
import type { SchedulerLike } from 'rxjs';

const S = (i: number) => `shardId-${String(i).padStart(12, '0')}`;

function consumer(scheduler: SchedulerLike, store: StateStore, kinesis: FakeKinesis, extra: object = {}): Kinesumer {
  return createKinesumer({
    app: 'app',
    clientId: 'only',
    kinesis,
    stateStore: store,
    initialPosition: 'TRIM_HORIZON',
    scheduler,
    ...extra,
  });
}

/** The checkpoint items of `stream`: shard id → sequence number. */
const items = (store: MemoryStateStore, stream = 's') =>
  Object.fromEntries((store.snapshot().checkpoints['app']?.[stream] ?? []).map((c) => [c.shardId, c.sequenceNumber]));

/** What a restarted group would resume from: the checkpoint items, or the heartbeat's where it is further on. */
const committed = (store: MemoryStateStore, stream = 's') => {
  const out: Record<string, string> = items(store, stream);
  for (const beat of Object.values(store.snapshot().heartbeats['app'] ?? {})) {
    for (const [shardId, position] of Object.entries(beat.checkpoints[stream] ?? {})) {
      const stored = out[shardId];
      if (stored === undefined || BigInt(position.sequenceNumber) > BigInt(stored)) out[shardId] = position.sequenceNumber;
    }
  }
  return out;
};

/**
 * Logs checkpoint item writes as `stream/shard@frame` and heartbeats as `beat@frame:stream/shard,...`
 * (the shards whose checkpoints it carried). `heartbeats: false` hides the store's heartbeat
 * method, as a store without heartbeat commits has none.
 */
function counting(store: MemoryStateStore, now: () => number, heartbeats = true): { store: StateStore; writes: string[] } {
  const writes: string[] = [];
  const wrapped = Object.create(store) as StateStore;
  wrapped.commitShard = (app, stream, shardId, commit) => {
    writes.push(`${stream}/${shardId.slice(-1)}@${now()}`);
    return store.commitShard(app, stream, shardId, commit);
  };
  if (heartbeats) {
    wrapped.heartbeat = (app, clientId, at, beat) => {
      const carried = Object.entries(beat.checkpoints).flatMap(([stream, shards]) => Object.keys(shards).map((id) => `${stream}/${id.slice(-1)}`));
      writes.push(`beat@${now()}:${carried.sort().join(',')}`);
      return store.heartbeat(app, clientId, at, beat);
    };
  } else {
    (wrapped as { heartbeat?: unknown }).heartbeat = undefined;
    (wrapped as { listGroup?: unknown }).listGroup = undefined;
  }
  return { store: wrapped, writes };
}

test('records that reach checkpoint() are committed at the next auto-commit: one heartbeat carries every shard; items are written on close', (t) => {
  const scheduler = testScheduler(t);
  const store = new MemoryStateStore();
  const { store: counted, writes } = counting(store, () => scheduler.now());
  let before: Record<string, string> = {};
  let itemsAt5000: Record<string, string> = {};
  let s0: string[] = [];
  let s1: string[] = [];
  let t0: string[] = [];
  let tStart1 = '';
  scheduler.run(() => {
    const kinesis = fakeKinesis(scheduler, { s: 2, t: 2 });
    tStart1 = kinesis.describeShards('t')[1]!.startingSequenceNumber!;
    s0 = putOn(kinesis, 's', 0, 3);
    s1 = putOn(kinesis, 's', 1, 2);
    t0 = putOn(kinesis, 't', 0, 1);
    const c = consumer(scheduler, counted, kinesis);
    c.consume(['s', 't']).pipe(checkpoint(c)).subscribe();
    // given the records arrived at frame 0, before the heartbeat at 5000 nothing is committed
    scheduler.schedule(() => (before = committed(store)), 4999);
    scheduler.schedule(() => (itemsAt5000 = items(store)), 5001);
    scheduler.schedule(() => void c.close(), 11_000);
  });
  t.deepEqual(before, {});
  // then the heartbeat at 5000 carried each shard's last record, and no item was written then
  t.true(writes.includes('beat@5000:s/0,s/1,t/0'), writes.join(' '));
  t.deepEqual(itemsAt5000, {});
  t.false(writes.some((w) => w.includes('@5000') && !w.startsWith('beat')), 'no item write at 5000');
  // at steady state one heartbeat per syncInterval: the auto-commit adds none
  t.deepEqual(writes.filter((w) => w.startsWith('beat@10000')), ['beat@10000:s/0,s/1,t/0']);
  // and close() wrote the items, one fenced write per shard
  t.deepEqual(writes.filter((w) => w.endsWith('@11000')).sort(), ['s/0@11000', 's/1@11000', 't/0@11000']);
  t.deepEqual(items(store), { [S(0)]: s0[2], [S(1)]: s1[1] });
  // t/1 got no record: its release left its starting sequence number as the checkpoint, so that
  // kinesumer (Go) can resume from the item (see the README's compatibility section)
  t.deepEqual(items(store, 't'), { [S(0)]: t0[0], [S(1)]: tStart1 });
  t.false(writes.some((w) => w.endsWith('@0') && !w.startsWith('beat')), 'nothing is written per record');
});

test('checkpoint items are brought up to date every commit.itemInterval', (t) => {
  const scheduler = testScheduler(t);
  const store = new MemoryStateStore();
  const { store: counted, writes } = counting(store, () => scheduler.now());
  let at7000: Record<string, string> = {};
  let seqs: string[] = [];
  scheduler.run(() => {
    const kinesis = fakeKinesis(scheduler, { s: 1 });
    seqs = putOn(kinesis, 's', 0, 2);
    const c = consumer(scheduler, counted, kinesis, { commit: { itemInterval: 7000 } });
    c.consume(['s']).pipe(checkpoint(c)).subscribe();
    scheduler.schedule(() => (at7000 = items(store)), 7001);
    scheduler.schedule(() => void c.close(), 8000);
  });
  t.deepEqual(at7000, { [S(0)]: seqs[1] });
  t.deepEqual(writes.filter((w) => !w.startsWith('beat')), ['s/0@7000'], 'close() has nothing left to write');
});

test('without heartbeat commits (a store without heartbeat()), each commit is one fenced write per shard that moved', (t) => {
  const scheduler = testScheduler(t);
  const store = new MemoryStateStore();
  const { store: counted, writes } = counting(store, () => scheduler.now(), false);
  let before: Record<string, string> = {};
  let s0: string[] = [];
  let s1: string[] = [];
  let t0: string[] = [];
  let tStart1 = '';
  scheduler.run(() => {
    const kinesis = fakeKinesis(scheduler, { s: 2, t: 2 });
    tStart1 = kinesis.describeShards('t')[1]!.startingSequenceNumber!;
    s0 = putOn(kinesis, 's', 0, 3);
    s1 = putOn(kinesis, 's', 1, 2);
    t0 = putOn(kinesis, 't', 0, 1);
    const c = consumer(scheduler, counted, kinesis);
    c.consume(['s', 't']).pipe(checkpoint(c)).subscribe();
    // given the records arrived at frame 0, before the first commit (5000) nothing is written
    scheduler.schedule(() => (before = committed(store)), 4999);
    scheduler.schedule(() => void c.close(), 6000);
  });
  t.deepEqual(before, {});
  // then the commit at 5000 wrote each shard's last record, one write per shard
  t.deepEqual(committed(store), { [S(0)]: s0[2], [S(1)]: s1[1] });
  // t/1 got no record: its release left its starting sequence number as the checkpoint, so that
  // kinesumer (Go) can resume from the item (see the README's compatibility section)
  t.deepEqual(committed(store, 't'), { [S(0)]: t0[0], [S(1)]: tStart1 });
  t.deepEqual(writes.filter((w) => w.endsWith('@5000')).sort(), ['s/0@5000', 's/1@5000', 't/0@5000']);
  t.false(writes.some((w) => w.endsWith('@0')), 'nothing is written per record');
});

test('a record still in the pipeline when a commit runs is not committed', (t) => {
  const scheduler = testScheduler(t);
  const store = new MemoryStateStore();
  let atFirstCommit: Record<string, string> = {};
  let seqs: string[] = [];
  scheduler.run(() => {
    const kinesis = fakeKinesis(scheduler, { s: 1 });
    seqs = putOn(kinesis, 's', 0, 3);
    const c = consumer(scheduler, store, kinesis);
    // each record takes 2 s to process: at the commit at 5000 only the first two are done
    c.consume(['s'])
      .pipe(concatMap((r) => of(r).pipe(delay(2000, scheduler))), checkpoint(c))
      .subscribe();
    scheduler.schedule(() => (atFirstCommit = committed(store)), 5001);
    scheduler.schedule(() => void c.close(), 20_000);
  });
  t.deepEqual(atFirstCommit, { [S(0)]: seqs[1] });
});

test('records filtered out before checkpoint() do not stall it: later records carry the mark forward', (t) => {
  const scheduler = testScheduler(t);
  const store = new MemoryStateStore();
  let seqs: string[] = [];
  scheduler.run(() => {
    const kinesis = fakeKinesis(scheduler, { s: 1 });
    seqs = putOn(kinesis, 's', 0, 6);
    const c = consumer(scheduler, store, kinesis);
    c.consume(['s'])
      .pipe(
        filter((r) => r.sequenceNumber !== seqs[5] && r.sequenceNumber !== seqs[2]),
        checkpoint(c),
      )
      .subscribe();
    scheduler.schedule(() => void c.close(), 6000);
  });
  t.deepEqual(committed(store), { [S(0)]: seqs[4] });
});

test('marks never move backwards when a pipeline re-orders records', (t) => {
  const scheduler = testScheduler(t);
  const store = new MemoryStateStore();
  let seqs: string[] = [];
  scheduler.run(() => {
    const kinesis = fakeKinesis(scheduler, { s: 1 });
    seqs = putOn(kinesis, 's', 0, 3);
    const c = consumer(scheduler, store, kinesis);
    c.consume(['s'])
      .pipe(
        take(3),
        toArray(),
        concatMap((rs) => rs.reverse()),
        checkpoint(c),
      )
      .subscribe();
    scheduler.schedule(() => void c.commit(), 100);
  });
  t.deepEqual(committed(store), { [S(0)]: seqs[2] });
});

test('checkpoint() fails the pipeline with a UsageError for a value that is not one of its records', async (t) => {
  const store = new MemoryStateStore();
  const c = createKinesumer({ app: 'app', kinesis: { region: 'us-east-1' }, stateStore: store });
  const other = createKinesumer({ app: 'app', kinesis: { region: 'us-east-1' }, stateStore: store });
  const fake = { stream: 's', shardId: S(0), sequenceNumber: '1', partitionKey: 'k', data: new Uint8Array(), approximateArrivalTimestamp: undefined, encryptionType: undefined };
  const err = await t.throwsAsync(lastValueFrom((of(fake) as Observable<KinesumerRecord>).pipe(checkpoint(c))));
  t.true(err instanceof UsageError);
  t.regex(err!.message, /not a record delivered by this consumer/);
  t.throws(() => other.markRecord(fake), { instanceOf: UsageError });
});

test('markRecord after close() is a ClosedError, and close() is idempotent', async (t) => {
  const store = new MemoryStateStore();
  const kinesis = fakeKinesis(asyncScheduler, { s: 1 });
  putOn(kinesis, 's', 0, 2);
  const c = consumer(asyncScheduler, store, kinesis, { group: { syncInterval: 50, clientTimeout: 200 } });
  const got = await lastValueFrom(c.consume(['s']).pipe(take(2), toArray()));
  const first = c.close();
  t.is(c.close(), first);
  await first;
  const err = t.throws(() => c.markRecord(got[0]!));
  t.true(err instanceof ClosedError);
  t.regex(err!.message, /markRecord\(\) called after close\(\)/);
  await t.throwsAsync(c.commit(), { instanceOf: ClosedError });
});

test('close() waits for delivered records to reach checkpoint() and commits them', async (t) => {
  const store = new MemoryStateStore();
  const kinesis = fakeKinesis(asyncScheduler, { s: 1 });
  const seqs = putOn(kinesis, 's', 0, 5);
  const c = consumer(asyncScheduler, store, kinesis, {
    group: { syncInterval: 50, clientTimeout: 200 },
    commit: { auto: false },
  });
  const processed: string[] = [];
  const done = lastValueFrom(
    c.consume(['s']).pipe(
      concatMap((r) => of(r).pipe(delay(20))),
      tap((r) => processed.push(r.sequenceNumber)),
      checkpoint(c),
      toArray(),
    ),
  );
  // when close() is called right after the first record was processed
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => processed.length > 0 && (clearInterval(timer), resolve()), 5);
  });
  await c.close({ drainTimeout: 2000 });
  // then the records already delivered were processed and their last one committed
  t.is((await done).length, 5);
  t.deepEqual(committed(store), { [S(0)]: seqs[4] });
  // and the client left the group at once
  t.deepEqual(Object.keys(store.snapshot().clients['app'] ?? {}), []);
});
