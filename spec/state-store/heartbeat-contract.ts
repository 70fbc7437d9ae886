/**
 * The behaviour of the optional heartbeat capability of a StateStore (`heartbeat` and
 * `listGroup`), as AVA tests run against each implementation that has it (DynamoDB on dynalite,
 * memory): a heartbeat is a ping that also carries the client's checkpoints and the leader's
 * digests, and a shard taken from a client (a dead one, or the caller itself after a restart)
 * starts after that client's heartbeat checkpoint when it is further on than the stored one; a
 * pruned client's heartbeat checkpoints go to the shards it still holds. Everything is observed
 * through the StateStore API only. Each test uses its own app name, so the tests of one file can
 * run concurrently against one table.
 */
import type { ExecutionContext, TestFn } from 'ava';
import { StateStoreError } from '../../src/errors.js';
import type { ClientHeartbeat, GroupMember, Heartbeat, Position, ShardState, StateStore } from '../../src/state-store/state-store.js';
import { acquire, at, commit, run, seq, shardId, shardStart, uniqueApp } from './contract.js';

/** A position in stream `s`: a sequence number built from `n`, or a position as given. */
type At = number | Position;

/** Heartbeat checkpoints of stream `s`: shard number → position. */
function onS(positions: Record<number, At>): Heartbeat['checkpoints'] {
  return {
    s: Object.fromEntries(
      Object.entries(positions).map(([shard, p]) => [shardId(Number(shard)), typeof p === 'number' ? { sequenceNumber: seq(p) } : p]),
    ),
  };
}

/** `store.heartbeat`, run to completion; fails the test when the store does not have it. */
function beat(store: StateStore, app: string, clientId: string, now: Date, heartbeat: Heartbeat): Promise<void> {
  if (store.heartbeat === undefined) throw new Error('the store has no heartbeat()');
  return run(store.heartbeat(app, clientId, now, heartbeat));
}

/** `store.listGroup`, run to completion; fails the test when the store does not have it. */
function group(store: StateStore, app: string, since: Date): Promise<GroupMember[]> {
  if (store.listGroup === undefined) throw new Error('the store has no listGroup()');
  return run(store.listGroup(app, since));
}

/**
 * `store.listClients`, run to completion, as id and last update only; fails the test when the
 * store does not have it.
 */
async function clients(store: StateStore, app: string): Promise<Pick<ClientHeartbeat, 'clientId' | 'lastUpdate'>[]> {
  if (store.listClients === undefined) throw new Error('the store has no listClients()');
  return (await run(store.listClients(app))).map(({ clientId, lastUpdate }) => ({ clientId, lastUpdate }));
}

/** The state of one shard of stream `s`, as listShardStates gives it. */
async function stateOf(store: StateStore, app: string, shard: number): Promise<ShardState | undefined> {
  return (await run(store.listShardStates(app, 's'))).find((s) => s.shardId === shardId(shard));
}

/**
 * Registers the heartbeat contract tests for one implementation.
 * @param test AVA's `test`.
 * @param name A prefix for the test titles, such as `dynamodb`.
 * @param open Gives the store to test (called inside each test, after `test.before` hooks).
 */
export function heartbeatContract<C>(
  test: TestFn<C>,
  name: string,
  open: (t: ExecutionContext<C>) => StateStore | Promise<StateStore>,
): void {
  test(`${name}: a heartbeat registers the client as alive like pingClient, and a later one refreshes last update`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    t.deepEqual(await group(store, app, at(0)), [], 'nobody before the first heartbeat');
    // when
    await beat(store, app, 'a', at(1000), { checkpoints: {} });
    // then
    t.deepEqual(await run(store.listAliveClients(app, at(0))), ['a']);
    t.deepEqual(await run(store.listAliveClients(app, at(1000))), [], 'a heartbeat at exactly since is not alive');
    t.deepEqual(await group(store, app, at(0)), [{ clientId: 'a' }]);
    t.deepEqual(await group(store, app, at(1000)), []);
    t.deepEqual(await group(store, uniqueApp(), at(0)), [], 'per app');
    t.deepEqual(await clients(store, app), [{ clientId: 'a', lastUpdate: at(1000) }]);

    // when it beats again later
    await beat(store, app, 'a', at(9000), { checkpoints: onS({ 0: 1 }) });
    t.deepEqual(await run(store.listAliveClients(app, at(5000))), ['a']);
    t.deepEqual(await group(store, app, at(5000)), [{ clientId: 'a' }]);
    t.deepEqual(await clients(store, app), [{ clientId: 'a', lastUpdate: at(9000) }]);
    t.deepEqual(await run(store.pruneClients(app, at(9000))), [], 'not prunable before its last heartbeat');
  });

  test(`${name}: rejoin writes a run's first heartbeat, keeps the previous run's checkpoints and seeks, drops its digests and stats, and returns that heartbeat`, async (t) => {
    const store = await open(t);
    if (store.rejoin === undefined) return t.fail(`${name} has no rejoin()`);
    const app = uniqueApp();
    // a client never seen: registered, nothing to return
    t.is(await run(store.rejoin(app, 'a', at(1000))), undefined);
    t.deepEqual(await clients(store, app), [{ clientId: 'a', lastUpdate: at(1000) }]);
    t.deepEqual(await group(store, app, at(0)), [{ clientId: 'a' }]);
    // its previous run: marks with a seek, the leader's digests and shard stats
    await beat(store, app, 'a', at(2000), { checkpoints: onS({ 0: 5, 1: 7 }), seeks: { s: { [shardId(1)]: 2 } }, digests: { s: 'd1' }, stats: { s: { [shardId(0)]: { lagMs: 3 } } } });
    // when it starts again under the same id
    const previous = await run(store.rejoin(app, 'a', at(9000)));
    // then it gets that heartbeat back
    t.deepEqual(previous, {
      clientId: 'a',
      lastUpdate: at(2000),
      checkpoints: onS({ 0: 5, 1: 7 }),
      seeks: { s: { [shardId(1)]: 2 } },
      stats: { s: { [shardId(0)]: { lagMs: 3 } } },
    });
    // and the store still holds the marks (a crash now loses none), but no stale digests or stats
    const [listed] = await run(store.listClients!(app));
    t.deepEqual(listed, { clientId: 'a', lastUpdate: at(9000), checkpoints: onS({ 0: 5, 1: 7 }), seeks: { s: { [shardId(1)]: 2 } } });
    t.deepEqual(await group(store, app, at(5000)), [{ clientId: 'a' }], 'alive by the new time, without the old digests');
    await t.throwsAsync(run(store.rejoin(app, 'a', new Date(Number.NaN))), { instanceOf: StateStoreError }, 'an invalid date is refused');
  });

  test(`${name}: a heartbeat's shard stats are listed by listClients as written, replaced by the next heartbeat, and left out of listGroup`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    const stats = {
      s: {
        [shardId(0)]: { lagMs: 1200, lastRecordAgeMs: 350, inFlight: 12 },
        [shardId(1)]: { state: 'checkpointRejected' as const, error: 'InvalidArgumentException' },
      },
      t: { [shardId(0)]: { state: 'taking' as const } },
    };
    // when a beats with stats, b without
    await beat(store, app, 'a', at(1000), { checkpoints: onS({ 0: 5 }), stats });
    await beat(store, app, 'b', at(1000), { checkpoints: {} });
    // then
    const listed = await run(store.listClients!(app));
    t.deepEqual(listed.find((c) => c.clientId === 'a')?.stats, {
      s: { [shardId(0)]: { lagMs: 1200, lastRecordAgeMs: 350, inFlight: 12 }, [shardId(1)]: { state: 'checkpointRejected', error: 'InvalidArgumentException' } },
      t: { [shardId(0)]: { state: 'taking' } },
    });
    t.is(listed.find((c) => c.clientId === 'b')?.stats, undefined, 'no stats: none listed');
    t.deepEqual(await group(store, app, at(0)), [{ clientId: 'a' }, { clientId: 'b' }], 'listGroup carries no stats');

    // when a beats again with other stats, and then with none (reading is what an absent state means)
    await beat(store, app, 'a', at(2000), { checkpoints: {}, stats: { s: { [shardId(0)]: { lagMs: 0, state: 'reading' } } } });
    t.deepEqual((await run(store.listClients!(app))).find((c) => c.clientId === 'a')?.stats, { s: { [shardId(0)]: { lagMs: 0 } } });
    await beat(store, app, 'a', at(3000), { checkpoints: {} });
    t.is((await run(store.listClients!(app))).find((c) => c.clientId === 'a')?.stats, undefined, 'removed with the next heartbeat that has none');
  });

  test(`${name}: listGroup asked for stats gives each member's shard stats with their rates, to two significant digits`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    const stats = { s: { [shardId(0)]: { lagMs: 5, recordsPerSec: 12.345, bytesPerSec: 98_765.4, heldMs: 61_000 }, [shardId(1)]: { state: 'taking' as const } } };
    // when a beats with throughput stats, b without any
    await beat(store, app, 'a', at(1000), { checkpoints: {}, stats });
    await beat(store, app, 'b', at(1000), { checkpoints: {} });
    // then
    t.deepEqual(await run(store.listGroup!(app, at(0), { stats: true })), [
      { clientId: 'a', stats: { s: { [shardId(0)]: { lagMs: 5, recordsPerSec: 12, bytesPerSec: 99_000, heldMs: 61_000 }, [shardId(1)]: { state: 'taking' } } } },
      { clientId: 'b' },
    ]);
    t.deepEqual(await run(store.listGroup!(app, at(0))), [{ clientId: 'a' }, { clientId: 'b' }], 'not asked: none');
  });

  test(`${name}: a heartbeat with bad shard stats is refused before anything is written`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    const bad = (stats: unknown) => beat(store, app, 'a', at(1000), { checkpoints: {}, stats: { s: { [shardId(0)]: stats as never } } });
    for (const stats of [{ lagMs: -1 }, { inFlight: Number.NaN }, { state: 'sleeping' }]) {
      const err = await t.throwsAsync(bad(stats), { instanceOf: StateStoreError });
      t.regex(err!.message, /shard shardId-000000000000 of stream "s"/);
    }
    t.deepEqual(await clients(store, app), [], 'nothing written');
  });

  test(`${name}: listGroup lists the alive clients sorted by id, strictly after 'since', with the digests of the first one's (the leader's) last heartbeat`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    // given, in no particular order
    await beat(store, app, 'c', at(3000), { checkpoints: {}, digests: { s: 'c-s', t: 'c-t' } });
    await run(store.pingClient(app, 'a', at(1000)));
    await beat(store, app, 'b', at(2000), { checkpoints: onS({ 0: 1 }), digests: { s: 'b-old' } });
    await beat(store, app, 'b', at(2500), { checkpoints: onS({ 0: 2 }) });
    await beat(store, app, 'd', at(500), { checkpoints: {}, digests: { s: 'd-s' } });
    await beat(store, app, 'e', at(4000), { checkpoints: onS({ 1: 1 }), digests: { s: 'e-old' } });
    await beat(store, app, 'e', at(4500), { checkpoints: {}, digests: { s: 'e-new' } });
    await beat(store, uniqueApp(), 'other-app', at(5000), { checkpoints: {}, digests: { s: 'x' } });
    // then: only the first alive client's digests come along (followers need the leader's only)
    const ids = (members: GroupMember[]) => members.map((m) => m.clientId);
    t.deepEqual(await group(store, app, at(0)), [{ clientId: 'a' }, { clientId: 'b' }, { clientId: 'c' }, { clientId: 'd' }, { clientId: 'e' }], 'a was only pinged: no digests');
    t.deepEqual(ids(await group(store, app, at(500))), ['a', 'b', 'c', 'e'], 'a heartbeat at exactly since is not alive');
    t.deepEqual(await group(store, app, at(1000)), [{ clientId: 'b' }, { clientId: 'c' }, { clientId: 'e' }], "b's latest heartbeat had no digests: removed");
    t.deepEqual(await group(store, app, at(2999)), [{ clientId: 'c', digests: { s: 'c-s', t: 'c-t' } }, { clientId: 'e' }]);
    t.deepEqual(await group(store, app, at(4000)), [{ clientId: 'e', digests: { s: 'e-new' } }], 'the latest heartbeat');
    t.deepEqual(await group(store, app, at(4500)), []);
    t.deepEqual(ids(await group(store, app, at(0))), await run(store.listAliveClients(app, at(0))), 'the same clients as listAliveClients, in the same order');
  });

  test(`${name}: listGroup asked by the leader itself (self) leaves its own digests out; asked by another client, they come along`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    await beat(store, app, 'a', at(1000), { checkpoints: {}, digests: { s: 'a-s' } });
    await beat(store, app, 'b', at(1000), { checkpoints: {}, digests: { s: 'b-s' } });
    t.deepEqual(await run(store.listGroup!(app, at(0), { self: 'a' })), [{ clientId: 'a' }, { clientId: 'b' }], 'the leader wrote them: not read back');
    t.deepEqual(await run(store.listGroup!(app, at(0), { self: 'b' })), [{ clientId: 'a', digests: { s: 'a-s' } }, { clientId: 'b' }], "a follower gets the leader's");
  });

  test(`${name}: acquireShard from a dead owner starts after its heartbeat checkpoint when that is further on than the stored one`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    // given a stored checkpoint at 5 and a later heartbeat checkpoint at 9
    await acquire(store, app, 0, 'dead', { now: at(1) });
    t.true(await commit(store, app, 0, 'dead', { sequenceNumber: seq(5), previous: undefined, now: at(2) }));
    await beat(store, app, 'dead', at(3), { checkpoints: onS({ 0: 9 }) });
    // when another client takes the shard once the owner is stale
    const taken = await acquire(store, app, 0, 'b', { alive: ['b'], now: at(10) });
    // then
    t.deepEqual(taken, {
      shardId: shardId(0),
      sequenceNumber: seq(9),
      owner: 'b',
      finished: false,
      shardStart: shardStart(0),
      lastUpdate: at(10),
    });
    t.is((await stateOf(store, app, 0))?.sequenceNumber, seq(9));
    // the item holds it: the new owner's commit fenced on it goes through, one fenced on 5 does not
    t.false(await commit(store, app, 0, 'b', { sequenceNumber: seq(12), previous: seq(5), now: at(11) }));
    t.true(await commit(store, app, 0, 'b', { sequenceNumber: seq(12), previous: seq(9), now: at(11) }));
    t.deepEqual(await run(store.getCheckpoints(app, 's')), [{ shardId: shardId(0), sequenceNumber: seq(12), lastUpdate: at(11) }]);
  });

  test(`${name}: acquireShard with an out-of-date seenFree hint (the owner is dead, not gone) still starts after its heartbeat checkpoint`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    await acquire(store, app, 0, 'dead', { now: at(1) });
    t.true(await commit(store, app, 0, 'dead', { sequenceNumber: seq(5), previous: undefined, now: at(2) }));
    await beat(store, app, 'dead', at(3), { checkpoints: onS({ 0: 9 }) });
    const taken = await acquire(store, app, 0, 'b', { alive: ['b'], now: at(10), seenFree: true });
    t.is(taken?.owner, 'b');
    t.is(taken?.sequenceNumber, seq(9));
    t.is((await stateOf(store, app, 0))?.sequenceNumber, seq(9));
  });

  test(`${name}: acquireShard from a dead owner with no stored checkpoint starts after its heartbeat checkpoint`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    await acquire(store, app, 0, 'dead', { now: at(1) });
    await beat(store, app, 'dead', at(3), { checkpoints: onS({ 0: 9 }) });
    t.is((await acquire(store, app, 0, 'b', { alive: ['b'], now: at(10) }))?.sequenceNumber, seq(9));
    t.false(await commit(store, app, 0, 'b', { sequenceNumber: seq(12), previous: undefined, now: at(11) }));
    t.true(await commit(store, app, 0, 'b', { sequenceNumber: seq(12), previous: seq(9), now: at(11) }));
  });

  test(`${name}: acquireShard from a dead owner keeps the stored checkpoint when the heartbeat's is behind or equal`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    // given stored checkpoints at 5; the heartbeat has 3 (behind) for shard 0 and 5 (equal) for shard 1
    for (const shard of [0, 1]) {
      await acquire(store, app, shard, 'dead', { now: at(1) });
      t.true(await commit(store, app, shard, 'dead', { sequenceNumber: seq(5), previous: undefined, now: at(2) }));
    }
    await beat(store, app, 'dead', at(3), { checkpoints: onS({ 0: 3, 1: 5 }) });
    // when / then
    for (const shard of [0, 1]) {
      const taken = await acquire(store, app, shard, 'b', { alive: ['b'], now: at(10) });
      t.deepEqual(
        taken,
        { shardId: shardId(shard), sequenceNumber: seq(5), owner: 'b', finished: false, shardStart: shardStart(shard), lastUpdate: at(10) },
        `shard ${shard}`,
      );
      t.true(await commit(store, app, shard, 'b', { sequenceNumber: seq(6), previous: seq(5), now: at(11) }), `shard ${shard}`);
    }
  });

  test(`${name}: acquireShard from a dead owner compares KPL sub-sequence numbers of the heartbeat and stored checkpoints`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    // given, all at record 5:
    //  shard 0: stored 5 whole,  heartbeat 5 sub 3  → the stored one is further on: kept
    //  shard 1: stored 5 sub 1,  heartbeat 5 sub 3  → the heartbeat's is further on: taken
    //  shard 2: stored 5 sub 1,  heartbeat 5 whole  → the heartbeat's is further on: taken, sub removed
    //  shard 3: stored 5 sub 3,  heartbeat 5 sub 3  → equal: kept
    const stored: Record<number, number | undefined> = { 0: undefined, 1: 1, 2: 1, 3: 3 };
    for (const [shard, sub] of Object.entries(stored).map(([s, sub]) => [Number(s), sub] as const)) {
      await acquire(store, app, shard, 'dead', { now: at(1) });
      t.true(
        await commit(store, app, shard, 'dead', {
          sequenceNumber: seq(5),
          ...(sub === undefined ? {} : { subSequenceNumber: sub }),
          previous: undefined,
          now: at(2),
        }),
      );
    }
    const sub3 = { sequenceNumber: seq(5), subSequenceNumber: 3 };
    await beat(store, app, 'dead', at(3), { checkpoints: onS({ 0: sub3, 1: sub3, 2: 5, 3: sub3 }) });
    // when
    const taken: (ShardState | undefined)[] = [];
    for (const shard of [0, 1, 2, 3]) taken.push(await acquire(store, app, shard, 'b', { alive: ['b'], now: at(10) }));
    // then
    const expected = (shard: number, sub: number | undefined): ShardState => ({
      shardId: shardId(shard),
      sequenceNumber: seq(5),
      ...(sub === undefined ? {} : { subSequenceNumber: sub }),
      owner: 'b',
      finished: false,
      shardStart: shardStart(shard),
      lastUpdate: at(10),
    });
    // (the stored sub-sequence numbers were committed without kinesumer's checkpoint before the
    // aggregate, as older versions did: a heartbeat position taken over gets the shard start)
    t.deepEqual(taken, [expected(0, undefined), { ...expected(1, 3), precedingSequenceNumber: shardStart(1) }, expected(2, undefined), expected(3, 3)]);
    t.deepEqual(
      (await run(store.listShardStates(app, 's'))).map((s) => [s.shardId, s.sequenceNumber, s.subSequenceNumber]),
      [
        [shardId(0), seq(5), undefined],
        [shardId(1), seq(5), 3],
        [shardId(2), seq(5), undefined],
        [shardId(3), seq(5), 3],
      ],
    );
  });

  test(`${name}: acquireShard ignores a heartbeat checkpoint written for an older shard of that id`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    const start = shardStart(0, 1);
    // given shards of the stream's second incarnation, held by a dead owner with no stored checkpoint
    for (const shard of [0, 1, 2]) {
      await acquire(store, app, shard, 'dead', { now: at(1), start: shard === 1 ? shardStart(1, 0) : shardStart(shard, 1) });
    }
    // shard 0: a heartbeat checkpoint before the shard's start (from the first incarnation)
    const before = `${shardStart(0, 0).slice(0, -1)}5`;
    t.true(before < start && before.length === start.length, 'the position is before the start');
    // shard 1: an item written for the first incarnation, taken now with the second's start
    // shard 2: a heartbeat checkpoint after the start, for this incarnation (taken)
    const after = `${shardStart(2, 1).slice(0, -1)}7`;
    await beat(store, app, 'dead', at(3), { checkpoints: onS({ 0: { sequenceNumber: before }, 1: 9, 2: { sequenceNumber: after } }) });
    // when
    const taken0 = await acquire(store, app, 0, 'b', { alive: ['b'], now: at(10), start });
    const taken1 = await acquire(store, app, 1, 'b', { alive: ['b'], now: at(10), start: shardStart(1, 1) });
    const taken2 = await acquire(store, app, 2, 'b', { alive: ['b'], now: at(10), start: shardStart(2, 1) });
    // then
    t.deepEqual(taken0, { shardId: shardId(0), owner: 'b', finished: false, shardStart: start, lastUpdate: at(10) });
    t.deepEqual(taken1, { shardId: shardId(1), owner: 'b', finished: false, shardStart: shardStart(1, 1), lastUpdate: at(10) });
    t.is(taken2?.sequenceNumber, after, 'a heartbeat checkpoint for this shard is used');
    t.true(await commit(store, app, 0, 'b', { sequenceNumber: seq(1), previous: undefined, now: at(11) }), 'nothing was written');
  });

  test(`${name}: acquireShard by the same client id again (restarted) starts after its own heartbeat checkpoint`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    await acquire(store, app, 0, 'a', { now: at(1) });
    t.true(await commit(store, app, 0, 'a', { sequenceNumber: seq(5), previous: undefined, now: at(2) }));
    await beat(store, app, 'a', at(3), { checkpoints: onS({ 0: 9 }) });
    // when the process, restarted with the same id, takes its shard again (still alive, even)
    const again = await acquire(store, app, 0, 'a', { now: at(4) });
    // then
    t.deepEqual(again, {
      shardId: shardId(0),
      sequenceNumber: seq(9),
      owner: 'a',
      finished: false,
      shardStart: shardStart(0),
      lastUpdate: at(4),
    });
    t.true(await commit(store, app, 0, 'a', { sequenceNumber: seq(12), previous: seq(9), now: at(5) }));
  });

  test(`${name}: a live owner's heartbeat checkpoint does not let anyone take the shard`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    await acquire(store, app, 0, 'a', { now: at(1) });
    t.true(await commit(store, app, 0, 'a', { sequenceNumber: seq(5), previous: undefined, now: at(2) }));
    await beat(store, app, 'a', at(5), { checkpoints: onS({ 0: 9 }) });
    const before = await run(store.listShardStates(app, 's'));
    // when 'b' tries, with 'a' alive by its heartbeat alone (not pinged by the helper)
    t.is(await acquire(store, app, 0, 'b', { alive: ['b'], now: at(5) }), undefined);
    t.is(
      await run(store.acquireShard(app, 's', shardId(0), { clientId: 'b', aliveSince: at(4), shardStart: shardStart(0), now: at(6) })),
      undefined,
    );
    // then nothing changed: neither owner nor checkpoint
    t.deepEqual(await run(store.listShardStates(app, 's')), before);
    t.is(before[0]?.sequenceNumber, seq(5));
    t.true(await commit(store, app, 0, 'a', { sequenceNumber: seq(10), previous: seq(5), now: at(7) }));
  });

  test(`${name}: pruneClients writes a removed client's heartbeat checkpoints to the shards it still holds, then removes it`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    // given 'dead' holding shards 0 and 1 (stored 5), and stream 't' shard 0 (no checkpoint);
    // 'other' holding shard 2 (stored 5); shard 3 released by 'dead' (stored 5)
    for (const shard of [0, 1, 3]) {
      await acquire(store, app, shard, 'dead', { now: at(1) });
      t.true(await commit(store, app, shard, 'dead', { sequenceNumber: seq(5), previous: undefined, now: at(2) }));
    }
    await run(store.releaseShard(app, 's', shardId(3), 'dead'));
    await run(store.acquireShard(app, 't', shardId(0), { clientId: 'dead', aliveSince: at(0), shardStart: shardStart(0), now: at(1) }));
    await acquire(store, app, 2, 'other', { now: at(1) });
    t.true(await commit(store, app, 2, 'other', { sequenceNumber: seq(5), previous: undefined, now: at(2) }));
    // its last heartbeat: 0 further on, 1 behind, 2 and 3 not its shards, 't'/0 further on
    await beat(store, app, 'dead', at(3), {
      checkpoints: { ...onS({ 0: 9, 1: 3, 2: 9, 3: 9 }), t: { [shardId(0)]: { sequenceNumber: seq(8), subSequenceNumber: 2 } } },
    });
    await run(store.pingClient(app, 'other', at(200)));
    // when
    t.deepEqual(await run(store.pruneClients(app, at(100))), ['dead']);
    // then
    const positions = async (stream: string) =>
      (await run(store.listShardStates(app, stream))).map((s) => [s.shardId, s.owner, s.sequenceNumber, s.subSequenceNumber]);
    t.deepEqual(await positions('s'), [
      [shardId(0), 'dead', seq(9), undefined],
      [shardId(1), 'dead', seq(5), undefined],
      [shardId(2), 'other', seq(5), undefined],
      [shardId(3), undefined, seq(5), undefined],
    ]);
    t.deepEqual(await positions('t'), [[shardId(0), 'dead', seq(8), 2]]);
    t.deepEqual(await clients(store, app), [{ clientId: 'other', lastUpdate: at(200) }]);
    t.deepEqual(await run(store.listAliveClients(app, at(-1_000_000))), ['other']);
    t.deepEqual(await group(store, app, at(-1_000_000)), [{ clientId: 'other' }]);
    // and whoever takes the shards next starts from what was written
    t.is((await acquire(store, app, 0, 'b', { alive: ['b', 'other'], now: at(300) }))?.sequenceNumber, seq(9));
    t.is((await acquire(store, app, 1, 'b', { alive: ['b', 'other'], now: at(300) }))?.sequenceNumber, seq(5));
    t.true(await commit(store, app, 0, 'b', { sequenceNumber: seq(10), previous: seq(9), now: at(301) }));
  });

  test(`${name}: heartbeat refuses a sequence number that is not a decimal string (not retriable), and writes nothing`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    await acquire(store, app, 0, 'a', { now: at(1) });
    await beat(store, app, 'a', at(2), { checkpoints: onS({ 0: 9 }), digests: { s: 'old' } });
    // when 'a' beats with one bad position, and 'c' (never registered) does too
    const bad = { checkpoints: onS({ 0: 12, 1: { sequenceNumber: '12ab' } }), digests: { s: 'new' } };
    const err = await t.throwsAsync(beat(store, app, 'a', at(5), bad), { instanceOf: StateStoreError });
    t.false(err?.retriable);
    t.regex(err?.message ?? '', /shardId-000000000001.*not a decimal string/);
    await t.throwsAsync(beat(store, app, 'c', at(5), bad), { instanceOf: StateStoreError });
    // then the previous heartbeat stands: time, digests and checkpoints
    t.deepEqual(await run(store.listAliveClients(app, at(0))), ['a']);
    t.deepEqual(await run(store.listAliveClients(app, at(2))), [], 'last update not refreshed');
    t.deepEqual(await group(store, app, at(0)), [{ clientId: 'a', digests: { s: 'old' } }]);
    t.is((await acquire(store, app, 0, 'b', { alive: ['b'], now: at(10) }))?.sequenceNumber, seq(9));
  });

  test(`${name}: a heartbeat replaces the previous one's checkpoints: a shard absent from the latest is not merged on takeover`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    // given 'a' holding shards 0 and 1 and 'z' holding shard 2, all stored at 5
    for (const [shard, owner] of [[0, 'a'], [1, 'a'], [2, 'z']] as const) {
      await acquire(store, app, shard, owner, { now: at(1) });
      t.true(await commit(store, app, shard, owner, { sequenceNumber: seq(5), previous: undefined, now: at(2) }));
    }
    await beat(store, app, 'a', at(2), { checkpoints: onS({ 0: 9, 1: 9 }) });
    await beat(store, app, 'z', at(2), { checkpoints: onS({ 2: 9 }) });
    // when the latest heartbeats leave shard 1 out, and have no checkpoints at all
    await beat(store, app, 'a', at(3), { checkpoints: onS({ 0: 10 }) });
    await beat(store, app, 'z', at(3), { checkpoints: {} });
    // then
    const take = async (shard: number) => (await acquire(store, app, shard, 'b', { alive: ['b'], now: at(10) }))?.sequenceNumber;
    t.is(await take(0), seq(10), 'from the latest heartbeat');
    t.is(await take(1), seq(5), 'not from an earlier heartbeat');
    t.is(await take(2), seq(5), 'an empty heartbeat leaves nothing');
  });
}
